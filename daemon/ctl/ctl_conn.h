/* ctl_conn.h - spanctl's connection to spand: JSON-RPC 2.0 over a Unix
 * stream socket, one JSON object per line (doc/protocol.md).
 *
 * Requests may be pipelined: ctl_conn_send() queues a request without
 * waiting, and ctl_conn_recv() returns the responses in the order the
 * requests were sent (the server answers in request order; ids are checked).
 * While a request is being written, whatever the server sends is read into
 * memory, so a client that writes large batches never deadlocks with a
 * server that is answering earlier ones. Notifications from the server
 * (messages with a method and no id, such as analyse's progress) are
 * handed to the callback set with ctl_conn_on_notify(), or skipped.
 *
 * Functions that can fail return 0 on success and a negative value on
 * failure, with a message fit to show a user written to err (always
 * NUL-terminated when errlen > 0). A server's error response is not a
 * failure of these functions: it is returned in the reply. */
#ifndef SPAND_CTL_CONN_H
#define SPAND_CTL_CONN_H

#include <jansson.h>
#include <stddef.h>

typedef struct ctl_conn ctl_conn_t;

/* One response. On success result points at the "result" member and code
 * is 0; on a server error result is NULL, code and message come from the
 * "error" member and data is its "data" member (NULL when absent). All
 * pointers are borrowed from doc and live until ctl_reply_clear(). */
typedef struct ctl_reply {
    json_t *doc;
    json_t *result;
    long long code;
    const char *message;
    json_t *data;
} ctl_reply_t;

/* Connect to the socket at path. On failure the message names the path
 * and, when nothing listens there, asks whether spand is running. On
 * success *out is a connection to free with ctl_conn_close(). */
int ctl_conn_open(const char *path, ctl_conn_t **out, char *err, size_t errlen);

/* A notification from the server: its method, and its params (NULL when
 * absent); both borrowed for the duration of the call. */
typedef void (*ctl_notify_fn)(const char *method, const json_t *params,
                              void *data);

/* Call fn(method, params, data) for every notification read from now on
 * (while ctl_conn_recv() waits for a response); fn NULL skips them. */
void ctl_conn_on_notify(ctl_conn_t *c, ctl_notify_fn fn, void *data);

/* Close the connection and free it; c may be NULL. Responses still due are
 * dropped. */
void ctl_conn_close(ctl_conn_t *c);

/* Send a request for method with params, the JSON text of a value
 * (params_len bytes, not necessarily NUL-terminated), or with no params
 * when params is NULL. The text is sent as it is: the caller vouches that
 * it is valid JSON without a raw newline. Returns once the whole request is
 * written. If the server has closed the connection, 0 is still returned so
 * that the reason it sent (for example "too many connections") is reported
 * by the next ctl_conn_recv(). */
int ctl_conn_send(ctl_conn_t *c, const char *method, const char *params,
                  size_t params_len, char *err, size_t errlen);

/* Requests sent and not yet answered. */
size_t ctl_conn_pending(const ctl_conn_t *c);

/* Wait for the response to the oldest unanswered request and fill *r,
 * which the caller clears with ctl_reply_clear(). Fails when nothing is
 * pending, when the connection breaks or when the response is malformed. */
int ctl_conn_recv(ctl_conn_t *c, ctl_reply_t *r, char *err, size_t errlen);

/* Send one request and wait for its response: ctl_conn_send() then
 * ctl_conn_recv(). params may be NULL (no params). Only for use when
 * nothing else is pending. */
int ctl_conn_call(ctl_conn_t *c, const char *method, const json_t *params,
                  ctl_reply_t *r, char *err, size_t errlen);

/* Release a reply (safe on a zeroed or already cleared reply). */
void ctl_reply_clear(ctl_reply_t *r);

#endif
