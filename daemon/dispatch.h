/* dispatch.h - from a request line to its method handler.
 *
 * The server hands each framed line here. The line is parsed (on the loop
 * when short, on the thread pool when long; a plain ingest takes a
 * streaming fast path, method_ingest.c), the JSON-RPC envelope is checked
 * (jsonrpc "2.0", id, method, params), and the method's handler
 * (methods.h) is called. Every request is answered exactly once, through
 * rpc.h, whatever happens here. */
#ifndef SPAND_DISPATCH_H
#define SPAND_DISPATCH_H

#include <stddef.h>

#include "rpc.h"

/* Lines shorter than this are parsed on the loop; longer ones on the
 * thread pool, so a 16 MB batch does not delay everyone's pings. */
#define DISPATCH_INLINE_PARSE_BYTES (64 * 1024)

/* Handle one request line (len bytes, not NUL-terminated; copied when it
 * is parsed off the loop). The response arrives through req->host->done. */
void dispatch_line(rpc_req_t *req, const char *line, size_t len);

#endif
