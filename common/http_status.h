/* relgate's words for an HTTP status, for the programs that speak HTTP (the ci plugin's
 * live evidence, relgate serve's deployment callbacks).
 *
 * They say a status in relgate's words, never the server's: an error body or message
 * is not shown or logged, since a gateway echoing the request can quote the credential
 * whole, cut or encoded in any way, and no test of the text finds every form. */
#ifndef RG_HTTP_STATUS_H
#define RG_HTTP_STATUS_H

/* The reason phrase of STATUS (RFC 9110), with what it most likely means for a request
 * that carries a credential; NULL for a status without one here. */
const char *rg_http_status_words(long status);

#endif
