/* lp-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-error"

#include "config.h"

#include <gio/gio.h>

#include "lp-error.h"

G_DEFINE_QUARK (lp-error-quark, lp_error)

guint
lp_error_http_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 500);

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_TIMED_OUT:
          return 504;
        case G_IO_ERROR_CANCELLED:
          return 499;
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_HOST_NOT_FOUND:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_NOT_CONNECTED:
          return 503;
        default:
          return 500;
        }
    }

  if (error->domain != LP_ERROR)
    return 500;

  switch ((LpErrorCode) error->code)
    {
    case LP_ERROR_INVALID_REQUEST:    return 400;
    case LP_ERROR_UNAUTHORIZED:       return 401;
    case LP_ERROR_FORBIDDEN:          return 403;
    case LP_ERROR_NOT_FOUND:          return 404;
    case LP_ERROR_METHOD_NOT_ALLOWED: return 405;
    case LP_ERROR_TOO_LARGE:          return 413;
    case LP_ERROR_RATE_LIMITED:       return 429;
    case LP_ERROR_CLIENT_CLOSED:      return 499;
    case LP_ERROR_UPSTREAM:           return 502;
    case LP_ERROR_PROTOCOL:           return 502;
    case LP_ERROR_UNAVAILABLE:        return 503;
    case LP_ERROR_TIMEOUT:            return 504;
    case LP_ERROR_CONFIG:
    case LP_ERROR_INTERNAL:
    default:
      return 500;
    }
}
