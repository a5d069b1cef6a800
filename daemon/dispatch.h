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

/* A jansson parse tree takes about this many times its text in memory
 * (a 15 MB ingest parsed by jansson grew the daemon by about 220 MB): the
 * estimate a parsed request is counted for in the in-flight budget until
 * it is answered. */
#define DISPATCH_TREE_COST_FACTOR 16

/* Handle one request line (len bytes, not NUL-terminated; copied when it
 * is parsed off the loop). The response arrives through req->host->done. */
void dispatch_line(rpc_req_t *req, const char *line, size_t len);

#endif
