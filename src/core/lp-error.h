/* lp-error.h
 *
 * One error domain for the whole core. Each code maps to the HTTP status
 * a client sees, so a failure deep in the IPC layer reaches the client
 * with the right status without translation tables in every handler.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LP_ERROR (lp_error_quark ())

typedef enum
{
  LP_ERROR_INVALID_REQUEST,   /* 400 */
  LP_ERROR_UNAUTHORIZED,      /* 401 */
  LP_ERROR_FORBIDDEN,         /* 403 */
  LP_ERROR_NOT_FOUND,         /* 404 */
  LP_ERROR_METHOD_NOT_ALLOWED,/* 405 */
  LP_ERROR_TOO_LARGE,         /* 413 */
  LP_ERROR_RATE_LIMITED,      /* 429 */
  LP_ERROR_CLIENT_CLOSED,     /* 499 */
  LP_ERROR_INTERNAL,          /* 500 */
  LP_ERROR_UPSTREAM,          /* 502: Lingma answered with an error */
  LP_ERROR_UNAVAILABLE,       /* 503: Lingma unreachable */
  LP_ERROR_TIMEOUT,           /* 504 */
  LP_ERROR_PROTOCOL,          /* malformed bytes from Lingma: closes the connection */
  LP_ERROR_CONFIG,            /* invalid configuration value */
} LpErrorCode;

GQuark lp_error_quark       (void);
guint  lp_error_http_status (const GError *error);

G_END_DECLS
