#include "http_status.h"

#include <stddef.h>

const char *rg_http_status_words(long status)
{
    switch (status) {
    case 304: return "Not Modified (a cache answered: relgate asks no conditional request)";
    case 400: return "Bad Request";
    case 401: return "Unauthorized: the credential is missing, wrong or expired";
    case 403: return "Forbidden: the credential is not allowed this";
    case 404: return "Not Found, or not visible to the credential";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable: the API cannot do this request (a commit, ref or state it does not know?)";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
    }
}
