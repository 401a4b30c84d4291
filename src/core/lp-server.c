/* lp-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-server"

#include "config.h"

#include <string.h>

#include "lp-dialect.h"
#include "lp-server.h"

#define BODY_KEY "lp-request-body"
#define RECORD_KEY "lp-request-record"
#define LISTEN_BACKLOG 256

typedef struct
{
  char        *path;
  GStrv        methods;
  LpDialect    error_dialect;
  LpRouteFunc  func;
  gpointer     user_data;
} LpRoute;

typedef struct
{
  GByteArray *data;
  guint64     limit;
  gboolean    too_large;
} LpBodyCollector;

struct _LpServer
{
  GObject         parent_instance;

  SoupServer     *soup;
  LpRequestStore *store;
  GHashTable     *routes;        /* path → LpRoute */
  char           *host;
  char           *api_key;
  guint64         body_limit;
  guint           port;
};

G_DEFINE_FINAL_TYPE (LpServer, lp_server, G_TYPE_OBJECT)

static void
lp_route_free (LpRoute *route)
{
  g_free (route->path);
  g_strfreev (route->methods);
  g_free (route);
}

static void
lp_body_collector_free (LpBodyCollector *collector)
{
  g_byte_array_unref (collector->data);
  g_free (collector);
}

static LpDialect
dialect_for_path (const char *path)
{
  return g_str_has_prefix (path, "/v1/messages") ? LP_DIALECT_ANTHROPIC : LP_DIALECT_OPENAI;
}

static const LpDialectCodec *
codec_for (LpDialect dialect)
{
  return dialect == LP_DIALECT_ANTHROPIC ? lp_dialect_anthropic () : lp_dialect_openai ();
}

void
lp_server_reply_json (SoupServerMessage *msg,
                      guint              status,
                      JsonNode          *node)
{
  g_autofree char *text = NULL;
  gsize len;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (node != NULL);

  text = json_to_string (node, FALSE);
  len = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), len);
}

void
lp_server_reply_error (SoupServerMessage *msg,
                       LpDialect          dialect,
                       guint              status,
                       const char        *message)
{
  g_autofree char *body = NULL;
  gsize len;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (message != NULL);

  body = codec_for (dialect)->render_error (status, message, NULL);
  len = strlen (body);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&body), len);
}

gboolean
lp_server_is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *remote;
  GInetAddress *address;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  remote = soup_server_message_get_remote_address (msg);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;

  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  return g_inet_address_get_is_loopback (address);
}

/* A web page may point a DNS name at 127.0.0.1 (DNS rebinding), so only
 * Host values naming the loopback interface, or the configured host, are
 * accepted. */
static gboolean
host_header_allowed (LpServer   *self,
                     const char *host_header)
{
  g_autofree char *host = NULL;
  const char *colon;

  if (host_header == NULL)
    return TRUE; /* HTTP/1.0 clients send none; they cannot be a browser. */

  if (host_header[0] == '[')
    {
      const char *end = strchr (host_header, ']');
      host = end ? g_strndup (host_header + 1, end - host_header - 1) : g_strdup (host_header);
    }
  else
    {
      colon = strrchr (host_header, ':');
      host = colon ? g_strndup (host_header, colon - host_header) : g_strdup (host_header);
    }

  return g_ascii_strcasecmp (host, "127.0.0.1") == 0 ||
         g_ascii_strcasecmp (host, "localhost") == 0 ||
         g_ascii_strcasecmp (host, "::1") == 0 ||
         (self->host != NULL && g_ascii_strcasecmp (host, self->host) == 0);
}

static gboolean
origin_allowed (const char *origin)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (origin == NULL)
    return TRUE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return FALSE;

  return g_ascii_strcasecmp (host, "127.0.0.1") == 0 ||
         g_ascii_strcasecmp (host, "localhost") == 0 ||
         g_ascii_strcasecmp (host, "::1") == 0 ||
         g_ascii_strcasecmp (host, "[::1]") == 0;
}

/* Constant-time so the key cannot be guessed byte by byte from timing. */
static gboolean
secret_equal (const char *a,
              const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  guint diff = la ^ lb;

  for (gsize i = 0; i < la; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i % MAX (lb, 1)];

  return diff == 0;
}

static gboolean
api_key_accepted (LpServer           *self,
                  SoupMessageHeaders *headers)
{
  const char *auth;
  const char *x_api_key;

  if (self->api_key == NULL || self->api_key[0] == '\0')
    return TRUE;

  x_api_key = soup_message_headers_get_one (headers, "x-api-key");
  if (x_api_key != NULL && secret_equal (x_api_key, self->api_key))
    return TRUE;

  auth = soup_message_headers_get_one (headers, "Authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 &&
      secret_equal (auth + 7, self->api_key))
    return TRUE;

  return FALSE;
}

/* libsoup < 3.3 leaks the fd of every idle keep-alive connection the
 * client closes (upstream d20c6601). Closing after each response keeps the
 * fd count flat; WebSocket upgrades are not affected. */
static void
on_request_read (SoupServer        *soup,
                 SoupServerMessage *msg,
                 LpServer          *self)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);

  if (!soup_message_headers_header_contains (request_headers, "Connection", "Upgrade"))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              LpBodyCollector   *collector)
{
  gsize size = g_bytes_get_size (chunk);

  if (collector->too_large || collector->data->len + size > collector->limit)
    {
      /* Keep draining the socket but stop buffering: memory stays bounded. */
      collector->too_large = TRUE;
      return;
    }

  g_byte_array_append (collector->data, g_bytes_get_data (chunk, NULL), size);
}

static void
early_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  LpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  LpBodyCollector *collector;

  g_assert (LP_IS_SERVER (self));

  collector = g_new0 (LpBodyCollector, 1);
  collector->data = g_byte_array_new ();
  collector->limit = self->body_limit;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > self->body_limit)
    collector->too_large = TRUE;

  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, collector,
                          (GDestroyNotify) lp_body_collector_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), collector);
}

typedef struct
{
  LpRequestRecord *record;
  GStrv            names;
  GStrv            values;
  GBytes          *body;
} LpPendingRecord;

static gboolean
record_request_now (gpointer data)
{
  LpPendingRecord *pending = data;

  lp_request_record_set_request (pending->record,
                                 (const char * const *) pending->names,
                                 (const char * const *) pending->values,
                                 g_bytes_get_data (pending->body, NULL),
                                 g_bytes_get_size (pending->body));

  g_object_unref (pending->record);
  g_strfreev (pending->names);
  g_strfreev (pending->values);
  g_bytes_unref (pending->body);
  g_free (pending);

  return G_SOURCE_REMOVE;
}

/* Redacting and capping a large body takes milliseconds; it waits until
 * the request itself is on its way to Lingma. */
static void
record_request (LpRequestRecord    *record,
                SoupMessageHeaders *headers,
                GBytes             *body)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  LpPendingRecord *pending = g_new0 (LpPendingRecord, 1);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_strv_builder_add (names, name);
      g_strv_builder_add (values, value);
    }

  pending->record = g_object_ref (record);
  pending->names = g_strv_builder_end (names);
  pending->values = g_strv_builder_end (values);
  pending->body = g_bytes_ref (body);
  g_idle_add_full (G_PRIORITY_LOW, record_request_now, pending, NULL);
}

static void
on_wrote_headers (SoupServerMessage *msg,
                  LpRequestRecord   *record)
{
  lp_request_record_mark_first_byte (record);
}

static void
on_message_finished (SoupServerMessage *msg,
                     LpRequestRecord   *record)
{
  SoupMessageBody *response = soup_server_message_get_response_body (msg);
  const char *recorded = lp_request_record_get_response_body (record);

  /* Streams record their own body; plain replies are taken as written. */
  if ((recorded == NULL || recorded[0] == '\0') && response->length > 0)
    {
      g_autoptr(GBytes) bytes = soup_message_body_flatten (response);
      lp_request_record_set_response_body (record, g_bytes_get_data (bytes, NULL),
                                           g_bytes_get_size (bytes));
    }

  if (lp_request_record_get_in_flight (record))
    lp_request_record_finish (record, soup_server_message_get_status (msg), NULL);
}

static gboolean
method_allowed (const LpRoute *route,
                const char    *method)
{
  return g_strv_contains ((const char * const *) route->methods, method);
}

static void
default_handler (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  LpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  LpBodyCollector *collector = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(LpRequestRecord) record = NULL;
  const LpRoute *route;
  LpDialect dialect;

  g_assert (LP_IS_SERVER (self));

  route = g_hash_table_lookup (self->routes, path);
  dialect = route ? route->error_dialect : dialect_for_path (path);

  body = collector ? g_bytes_new (collector->data->data, collector->data->len)
                   : g_bytes_new (NULL, 0);

  record = lp_request_store_begin (self->store, method, path);
  record_request (record, headers, body);
  g_object_set_data_full (G_OBJECT (msg), RECORD_KEY, g_object_ref (record), g_object_unref);
  g_signal_connect_object (msg, "wrote-headers", G_CALLBACK (on_wrote_headers), record, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (on_message_finished), record, 0);

  if (!host_header_allowed (self, soup_message_headers_get_one (headers, "Host")) ||
      !origin_allowed (soup_message_headers_get_one (headers, "Origin")))
    {
      lp_server_reply_error (msg, dialect, 403, "requests from this origin or host are not allowed");
      return;
    }

  if (g_str_equal (method, "OPTIONS"))
    {
      /* No CORS headers: browsers stay locked out unless the page is local. */
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }

  if (collector != NULL && collector->too_large)
    {
      g_autofree char *message =
        g_strdup_printf ("request body exceeds the %" G_GUINT64_FORMAT " byte limit", self->body_limit);
      lp_server_reply_error (msg, dialect, 413, message);
      return;
    }

  if (route == NULL)
    {
      lp_server_reply_error (msg, dialect, 404, "not found");
      return;
    }

  if (!method_allowed (route, method))
    {
      g_autofree char *allow = g_strjoinv (", ", route->methods);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
      lp_server_reply_error (msg, dialect, 405, "method not allowed");
      return;
    }

  if (!api_key_accepted (self, headers))
    {
      lp_server_reply_error (msg, dialect, 401, "invalid or missing API key");
      return;
    }

  route->func (self, msg, body, record, route->user_data);
}

static void
lp_server_finalize (GObject *object)
{
  LpServer *self = (LpServer *) object;

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->store);
  g_clear_pointer (&self->routes, g_hash_table_unref);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->api_key, g_free);

  G_OBJECT_CLASS (lp_server_parent_class)->finalize (object);
}

static void
lp_server_class_init (LpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lp_server_finalize;
}

static void
lp_server_init (LpServer *self)
{
  self->routes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) lp_route_free);
  self->body_limit = 64 * 1024 * 1024;
  self->soup = soup_server_new ("server-header", PACKAGE_NAME "/" PACKAGE_VERSION " ", NULL);

  g_signal_connect (self->soup, "request-read", G_CALLBACK (on_request_read), self);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, default_handler, self, NULL);
}

LpServer *
lp_server_new (LpRequestStore *store)
{
  LpServer *self;

  g_return_val_if_fail (LP_IS_REQUEST_STORE (store), NULL);

  self = g_object_new (LP_TYPE_SERVER, NULL);
  self->store = g_object_ref (store);

  return self;
}

void
lp_server_add_route (LpServer    *self,
                     const char  *path,
                     const char  *methods,
                     LpDialect    error_dialect,
                     LpRouteFunc  func,
                     gpointer     user_data)
{
  LpRoute *route;

  g_return_if_fail (LP_IS_SERVER (self));
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (methods != NULL);
  g_return_if_fail (func != NULL);

  route = g_new0 (LpRoute, 1);
  route->path = g_strdup (path);
  route->methods = g_strsplit (methods, ",", -1);
  route->error_dialect = error_dialect;
  route->func = func;
  route->user_data = user_data;

  g_hash_table_replace (self->routes, route->path, route);
}

gboolean
lp_server_listen (LpServer    *self,
                  const char  *host,
                  guint        port,
                  GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  GSList *uris;

  g_return_val_if_fail (LP_IS_SERVER (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      if (g_ascii_strcasecmp (host, "localhost") != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "cannot listen on \"%s\": use an IP address or localhost", host);
          return FALSE;
        }
      address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    }

  socket_address = g_inet_socket_address_new (address, port);

  /* GSocket's default backlog of 10 overflows when clients open many
   * connections at once; they would then stall in SYN retries. */
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, socket_address, TRUE, error) ||
      !g_socket_listen (socket, error) ||
      !soup_server_listen_socket (self->soup, socket, 0, error))
    return FALSE;

  g_free (self->host);
  self->host = g_strdup (host);

  uris = soup_server_get_uris (self->soup);
  self->port = uris ? g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return TRUE;
}

void
lp_server_disconnect (LpServer *self)
{
  g_return_if_fail (LP_IS_SERVER (self));

  soup_server_disconnect (self->soup);
  self->port = 0;
}

guint
lp_server_get_port (LpServer *self)
{
  g_return_val_if_fail (LP_IS_SERVER (self), 0);

  return self->port;
}

char *
lp_server_dup_base_url (LpServer *self)
{
  g_return_val_if_fail (LP_IS_SERVER (self), NULL);

  if (self->port == 0)
    return NULL;

  if (strchr (self->host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", self->host, self->port);

  return g_strdup_printf ("http://%s:%u", self->host, self->port);
}

void
lp_server_set_body_limit (LpServer *self,
                          guint64   body_limit)
{
  g_return_if_fail (LP_IS_SERVER (self));
  g_return_if_fail (body_limit > 0);

  self->body_limit = body_limit;
}

void
lp_server_set_api_key (LpServer   *self,
                       const char *api_key)
{
  g_return_if_fail (LP_IS_SERVER (self));

  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
}
