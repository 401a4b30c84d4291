/* test-images.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "lp-chat-request.h"
#include "lp-error.h"
#include "lp-images.h"

#define URI_PREFIX "lingma:///agent/file?path="
#define DIR_PREFIX "lingma-proxy-img-"

/* A 1×1 PNG. */
static const char png_base64[] =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

static const guint8 gif_bytes[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;";
static const guint8 jpeg_bytes[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9";
static const guint8 webp_bytes[] = "RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00";
static const guint8 bmp_bytes[] = "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00";

/* The test directory doubles as TMPDIR and HOME; its name has spaces so
 * the form-style escaping of the file URI is exercised. */
static char *test_root;
static SoupServer *server;
static char *server_base;
static GPtrArray *raw_services;
static GPtrArray *raw_connections;
static char *silent_url;
static char *overstated_url;

static GBytes *
png_bytes (void)
{
  gsize len;
  guchar *data = g_base64_decode (png_base64, &len);

  return g_bytes_new_take (data, len);
}

static GPtrArray *
images_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) lp_image_free);
}

static void
add_url (GPtrArray  *images,
         const char *url)
{
  g_ptr_array_add (images, lp_image_new (NULL, NULL, url));
}

static void
add_bytes (GPtrArray    *images,
           const char   *media_type,
           const guint8 *data,
           gsize         len)
{
  g_autofree char *encoded = g_base64_encode (data, len);

  g_ptr_array_add (images, lp_image_new (media_type, encoded, NULL));
}

static void
prepare_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static LpImageBatch *
prepare_full (GPtrArray     *images,
              const char    *allowed_dir,
              gsize          max_bytes,
              guint          timeout_ms,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lp_image_batch_prepare_full_async (images, allowed_dir, NULL, max_bytes, timeout_ms,
                                     cancellable, prepare_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return lp_image_batch_prepare_finish (result, error);
}

static LpImageBatch *
prepare (GPtrArray   *images,
         const char  *allowed_dir,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lp_image_batch_prepare_async (images, allowed_dir, NULL, NULL, prepare_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return lp_image_batch_prepare_finish (result, error);
}

static guint
count_image_dirs (void)
{
  g_autoptr(GDir) dir = g_dir_open (test_root, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, DIR_PREFIX))
      n++;

  return n;
}

static JsonObject *
item_at (LpImageBatch *batch,
         guint         index)
{
  return json_array_get_object_element (lp_image_batch_get_items (batch), index);
}

static char *
item_path (LpImageBatch *batch,
           guint         index)
{
  const char *uri = json_object_get_string_member (item_at (batch, index), "uri");
  g_autofree char *plus_decoded = NULL;

  g_assert_true (g_str_has_prefix (uri, URI_PREFIX));
  plus_decoded = g_strdup (uri + strlen (URI_PREFIX));
  g_strdelimit (plus_decoded, "+", ' ');

  return g_uri_unescape_string (plus_decoded, NULL);
}

static void
assert_file_bytes (const char *path,
                   GBytes     *expected)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
assert_item (LpImageBatch *batch,
             guint         index,
             const char   *media_type,
             const char   *basename,
             GBytes       *bytes)
{
  JsonObject *item = item_at (batch, index);
  g_autofree char *path = item_path (batch, index);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *data = g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_assert_cmpuint (json_object_get_size (item), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (item, "type"), ==, "image");
  g_assert_cmpstr (json_object_get_string_member (item, "mimeType"), ==, media_type);
  g_assert_cmpstr (json_object_get_string_member (item, "data"), ==, data);
  g_assert_cmpstr (name, ==, basename);
  assert_file_bytes (path, bytes);
}

static void
assert_refused (GPtrArray  *images,
                const char *allowed_dir,
                gint        code,
                const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = prepare (images, allowed_dir, &error);

  g_assert_null (batch);
  g_assert_error (error, LP_ERROR, code);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_cmpuint (count_image_dirs (), ==, 0);
}

static void
assert_url_refused (const char *url,
                    const char *allowed_dir,
                    gint        code,
                    const char *needle)
{
  g_autoptr(GPtrArray) images = images_new ();

  add_url (images, url);
  assert_refused (images, allowed_dir, code, needle);
}

static void
test_data_url (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GBytes) bytes = png_bytes ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strconcat ("data:image/png;base64,", png_base64, NULL);
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *expected_uri = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *escaped = NULL;
  struct stat st;

  add_url (images, url);
  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 1);
  g_assert_null (lp_image_batch_get_image_url (batch));
  assert_item (batch, 0, "image/png", "image-1.png", bytes);
  g_assert_cmpstr (json_object_get_string_member (item_at (batch, 0), "data"), ==, png_base64);

  path = item_path (batch, 0);
  dir = g_path_get_dirname (path);
  g_assert_true (g_path_is_absolute (path));
  g_assert_true (g_str_has_prefix (dir, test_root));
  g_assert_true (g_str_has_prefix (dir + strlen (test_root) + 1, DIR_PREFIX));

  /* Form-style escaping: '/' → %2F, ' ' → '+'. The test root has spaces. */
  g_assert_nonnull (strchr (path, ' '));
  parts = g_strsplit (path, "/", -1);
  escaped = g_strjoinv ("%2F", parts);
  g_strdelimit (escaped, " ", '+');
  expected_uri = g_strconcat (URI_PREFIX, escaped, NULL);
  g_assert_cmpstr (json_object_get_string_member (item_at (batch, 0), "uri"), ==, expected_uri);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_clear_pointer (&batch, lp_image_batch_free);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_image_dirs (), ==, 0);
}

/* Each format is recognised by its signature; the declared media type
 * does not decide what Lingma is told. */
static void
test_signatures (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) gif = g_bytes_new_static (gif_bytes, sizeof gif_bytes - 1);
  g_autoptr(GBytes) jpeg = g_bytes_new_static (jpeg_bytes, sizeof jpeg_bytes - 1);
  g_autoptr(GBytes) webp = g_bytes_new_static (webp_bytes, sizeof webp_bytes - 1);
  g_autoptr(GBytes) bmp = g_bytes_new_static (bmp_bytes, sizeof bmp_bytes - 1);
  g_autofree char *encoded = NULL;
  g_autofree char *wrapped = NULL;

  add_bytes (images, "image/png", gif_bytes, sizeof gif_bytes - 1);
  add_bytes (images, "image/jpeg", jpeg_bytes, sizeof jpeg_bytes - 1);
  add_bytes (images, "image/webp", webp_bytes, sizeof webp_bytes - 1);
  add_bytes (images, "image/bmp", bmp_bytes, sizeof bmp_bytes - 1);

  /* Line-wrapped base64, as some clients send it. */
  encoded = g_base64_encode (jpeg_bytes, sizeof jpeg_bytes - 1);
  wrapped = g_strdup_printf ("%.8s\r\n%s", encoded, encoded + 8);
  g_ptr_array_add (images, lp_image_new ("image/jpeg", wrapped, NULL));

  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 5);
  assert_item (batch, 0, "image/gif", "image-1.gif", gif);
  assert_item (batch, 1, "image/jpeg", "image-2.jpg", jpeg);
  assert_item (batch, 2, "image/webp", "image-3.webp", webp);
  assert_item (batch, 3, "image/bmp", "image-4.bmp", bmp);
  assert_item (batch, 4, "image/jpeg", "image-5.jpg", jpeg);
}

static void
test_invalid_data (void)
{
  static const char *bad_base64[] = { "not base64!!", "QQ=A", "QUJD\x01", "QUJDR", "====" };
  static const guint8 bad_bmp[] = "BM\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x99\x00\x00\x00";
  g_autoptr(GPtrArray) empty = images_new ();
  g_autoptr(GPtrArray) text = images_new ();
  g_autoptr(GPtrArray) bmp = images_new ();
  g_autoptr(GPtrArray) foreign = images_new ();
  g_autofree char *with_junk = g_strconcat ("!*$#", png_base64, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_base64); i++)
    {
      g_autoptr(GPtrArray) images = images_new ();

      g_ptr_array_add (images, lp_image_new ("image/png", bad_base64[i], NULL));
      assert_refused (images, NULL, LP_ERROR_INVALID_REQUEST, "base64");
    }

  /* g_base64_decode() alone would skip the junk and find a valid PNG. */
  g_ptr_array_add (foreign, lp_image_new ("image/png", with_junk, NULL));
  assert_refused (foreign, NULL, LP_ERROR_INVALID_REQUEST, "not valid standard base64");

  g_ptr_array_add (empty, lp_image_new ("image/png", "", NULL));
  assert_refused (empty, NULL, LP_ERROR_INVALID_REQUEST, "empty");

  add_bytes (text, "image/png", (const guint8 *) "hello, world", 12);
  assert_refused (text, NULL, LP_ERROR_INVALID_REQUEST, "is not a PNG, JPEG, GIF, WebP or BMP image");

  add_bytes (bmp, "image/bmp", bad_bmp, sizeof bad_bmp - 1);
  assert_refused (bmp, NULL, LP_ERROR_INVALID_REQUEST, "is not a PNG");

  assert_url_refused ("data:image/png,%89PNG", NULL, LP_ERROR_INVALID_REQUEST, "base64-encoded");
  assert_url_refused ("data:image/png;base64,", NULL, LP_ERROR_INVALID_REQUEST, "empty");
}

/* A bad image after a good one must not leave the good one's file. */
static void
test_failure_cleans_up (void)
{
  g_autoptr(GPtrArray) images = images_new ();

  g_ptr_array_add (images, lp_image_new ("image/png", png_base64, NULL));
  add_bytes (images, "image/png", (const guint8 *) "plain text", 10);
  assert_refused (images, NULL, LP_ERROR_INVALID_REQUEST, "image 2 is not");
}

static void
test_empty (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GError) error = NULL;

  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 0);
  g_assert_cmpuint (json_array_get_length (lp_image_batch_get_items (batch)), ==, 0);
  g_assert_cmpuint (count_image_dirs (), ==, 0);
}

static void
server_callback (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/image.gif"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "image/gif", SOUP_MEMORY_STATIC,
                                        (const char *) gif_bytes, sizeof gif_bytes - 1);
    }
  else if (g_str_equal (path, "/octet"))
    {
      g_autoptr(GBytes) png = png_bytes ();

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (png, NULL), g_bytes_get_size (png));
    }
  else if (g_str_equal (path, "/page.html"))
    {
      static const char page[] = "<html><body>not an image</body></html>";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        page, sizeof page - 1);
    }
  else if (g_str_equal (path, "/big.png") || g_str_equal (path, "/big-chunked.png"))
    {
      g_autofree char *body = g_malloc0 (4096);

      memcpy (body, "\x89PNG\r\n\x1a\n", 8);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      if (g_str_equal (path, "/big-chunked.png"))
        {
          SoupMessageBody *response = soup_server_message_get_response_body (msg);

          soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
          soup_message_headers_set_content_type (headers, "image/png", NULL);
          for (guint i = 0; i < 4; i++)
            soup_message_body_append (response, SOUP_MEMORY_COPY, body + i * 1024, 1024);
          soup_message_body_complete (response);
        }
      else
        {
          soup_server_message_set_response (msg, "image/png", SOUP_MEMORY_TAKE,
                                            g_steal_pointer (&body), 4096);
        }
    }
  else if (g_str_has_prefix (path, "/redirect/"))
    {
      guint64 n = g_ascii_strtoull (path + strlen ("/redirect/"), NULL, 10);
      g_autofree char *next = n > 1 ? g_strdup_printf ("/redirect/%" G_GUINT64_FORMAT, n - 1)
                                    : g_strdup ("/image.gif");

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, next);
    }
  else if (g_str_equal (path, "/redirect-ftp"))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "ftp://127.0.0.1/x.png");
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

static char *
server_url (const char *path)
{
  return g_strconcat (server_base, path, NULL);
}

static void
test_http_ok (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) gif = g_bytes_new_static (gif_bytes, sizeof gif_bytes - 1);
  g_autoptr(GBytes) png = png_bytes ();
  g_autofree char *url = server_url ("/image.gif");
  g_autofree char *octet = server_url ("/octet");

  add_url (images, url);
  add_url (images, octet);
  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 2);
  assert_item (batch, 0, "image/gif", "image-1.gif", gif);
  assert_item (batch, 1, "image/png", "image-2.png", png);
  g_assert_cmpstr (lp_image_batch_get_image_url (batch), ==, url);
}

static void
test_http_errors (void)
{
  g_autofree char *missing = server_url ("/missing.png");
  g_autofree char *page = server_url ("/page.html");
  g_autofree char *ftp = server_url ("/redirect-ftp");
  g_autofree char *refused = NULL;
  g_autofree char *missing_message = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port;

  missing_message = g_strdup_printf ("image %s answered HTTP 404", missing);
  assert_url_refused (missing, NULL, LP_ERROR_INVALID_REQUEST, missing_message);
  assert_url_refused (page, NULL, LP_ERROR_INVALID_REQUEST, "(Content-Type text/html)");
  assert_url_refused (ftp, NULL, LP_ERROR_INVALID_REQUEST, "invalid location");
  assert_url_refused ("http://", NULL, LP_ERROR_INVALID_REQUEST, "is not valid");

  /* A port that was just free: nothing listens there. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  g_socket_listener_close (listener);
  refused = g_strdup_printf ("http://127.0.0.1:%u/x.png", port);
  assert_url_refused (refused, NULL, LP_ERROR_INVALID_REQUEST, "could not fetch image http://127.0.0.1");
}

static void
assert_too_large (const char *path)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = NULL;
  g_autofree char *url = server_url (path);

  add_url (images, url);
  batch = prepare_full (images, NULL, 1024, LP_IMAGE_DEFAULT_FETCH_TIMEOUT_MS, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "is larger than 1024 bytes"));
  g_assert_nonnull (strstr (error->message, url));
  g_clear_error (&error);

  /* The same body passes under a larger cap. */
  batch = prepare_full (images, NULL, 4096, LP_IMAGE_DEFAULT_FETCH_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 1);
}

static void
test_http_too_large (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = NULL;
  gint64 start;

  assert_too_large ("/big.png");
  assert_too_large ("/big-chunked.png");

  add_url (images, overstated_url);
  start = g_get_monotonic_time ();
  batch = prepare (images, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "is larger than 20971520 bytes"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_http_redirects (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *three = server_url ("/redirect/3");
  g_autofree char *four = server_url ("/redirect/4");

  add_url (images, three);
  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (item_at (batch, 0), "mimeType"), ==, "image/gif");
  g_assert_cmpstr (lp_image_batch_get_image_url (batch), ==, three);
  g_clear_pointer (&batch, lp_image_batch_free);

  assert_url_refused (four, NULL, LP_ERROR_INVALID_REQUEST, "redirects more than 3 times");
}

static void
test_http_timeout (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = NULL;
  gint64 start = g_get_monotonic_time ();

  add_url (images, silent_url);
  batch = prepare_full (images, NULL, LP_IMAGE_DEFAULT_MAX_BYTES, 200, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "timed out after 200 ms"));
  g_assert_nonnull (strstr (error->message, silent_url));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 200 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_image_dirs (), ==, 0);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = NULL;
  gint64 start = g_get_monotonic_time ();

  g_ptr_array_add (images, lp_image_new ("image/png", png_base64, NULL));
  add_url (images, silent_url);
  g_timeout_add (50, cancel_cb, cancellable);
  batch = prepare_full (images, NULL, LP_IMAGE_DEFAULT_MAX_BYTES, 10 * 1000, cancellable, &error);
  g_assert_null (batch);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_image_dirs (), ==, 0);

  /* Already cancelled: nothing starts. */
  g_clear_error (&error);
  batch = prepare_full (images, NULL, LP_IMAGE_DEFAULT_MAX_BYTES, 10 * 1000, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count_image_dirs (), ==, 0);
}

static void
test_order (void)
{
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(LpImageBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) gif = g_bytes_new_static (gif_bytes, sizeof gif_bytes - 1);
  g_autoptr(GBytes) jpeg = g_bytes_new_static (jpeg_bytes, sizeof jpeg_bytes - 1);
  g_autoptr(GBytes) png = png_bytes ();
  g_autofree char *data_url = g_strconcat ("data:image/png;base64,", png_base64, NULL);
  g_autofree char *redirected = server_url ("/redirect/2");
  g_autofree char *direct = server_url ("/octet");

  /* The slower fetch (two redirects) comes first. */
  add_url (images, redirected);
  add_url (images, data_url);
  add_bytes (images, "image/jpeg", jpeg_bytes, sizeof jpeg_bytes - 1);
  add_url (images, direct);

  batch = prepare (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 4);
  assert_item (batch, 0, "image/gif", "image-1.gif", gif);
  assert_item (batch, 1, "image/png", "image-2.png", png);
  assert_item (batch, 2, "image/jpeg", "image-3.jpg", jpeg);
  assert_item (batch, 3, "image/png", "image-4.png", png);
  g_assert_cmpstr (lp_image_batch_get_image_url (batch), ==, redirected);
}

static char *
make_dir (const char *name)
{
  char *path = g_build_filename (test_root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static char *
write_file (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         len)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, (const char *) data, len, NULL));
  return path;
}

static void
test_local_disabled (void)
{
  g_autofree char *allowed = make_dir ("allowed");
  g_autoptr(GBytes) png = png_bytes ();
  g_autofree char *path = write_file (allowed, "pic.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  const char *message = "local image paths are disabled; set image_dir to allow a directory";

  assert_url_refused (path, NULL, LP_ERROR_FORBIDDEN, message);
  assert_url_refused (uri, NULL, LP_ERROR_FORBIDDEN, message);
  assert_url_refused ("~/allowed/pic.png", NULL, LP_ERROR_FORBIDDEN, message);
  assert_url_refused ("file:///etc/passwd", NULL, LP_ERROR_FORBIDDEN, message);
}

static void
test_local_allowed (void)
{
  g_autofree char *allowed = make_dir ("allowed");
  g_autofree char *link = g_build_filename (test_root, "allowed-link", NULL);
  g_autoptr(GBytes) png = png_bytes ();
  g_autofree char *path = write_file (allowed, "my pic.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  const char *urls[] = { path, uri, "~/allowed/my pic.png" };

  g_assert_cmpint (symlink (allowed, link), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      /* The allowed directory may itself be named through a symlink. */
      const char *dirs[] = { allowed, link };

      for (guint j = 0; j < G_N_ELEMENTS (dirs); j++)
        {
          g_autoptr(GPtrArray) images = images_new ();
          g_autoptr(LpImageBatch) batch = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *copy = NULL;

          add_url (images, urls[i]);
          batch = prepare (images, dirs[j], &error);
          g_assert_no_error (error);
          g_assert_cmpuint (lp_image_batch_get_count (batch), ==, 1);
          assert_item (batch, 0, "image/png", "image-1.png", png);
          g_assert_cmpstr (lp_image_batch_get_image_url (batch), ==, urls[i]);

          /* Lingma gets a private copy, never the client's file. */
          copy = item_path (batch, 0);
          g_assert_cmpstr (copy, !=, path);
        }
    }

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_unlink (link), ==, 0);
}

static void
test_local_refused (void)
{
  g_autofree char *allowed = make_dir ("allowed");
  g_autofree char *subdir = make_dir ("allowed/sub");
  g_autoptr(GBytes) png = png_bytes ();
  g_autofree char *outside = write_file (test_root, "outside.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *text = write_file (allowed, "notes.png", (const guint8 *) "just text", 9);
  g_autofree char *inside = write_file (allowed, "pic.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *escape = g_build_filename (allowed, "escape.png", NULL);
  g_autofree char *dotdot = g_build_filename (allowed, "..", "outside.png", NULL);
  g_autofree char *missing_outside = g_build_filename (test_root, "nowhere.png", NULL);
  g_autofree char *missing_inside = g_build_filename (allowed, "nowhere.png", NULL);
  g_autofree char *fifo = g_build_filename (allowed, "fifo.png", NULL);
  g_autofree char *escape_uri = NULL;
  g_autoptr(GPtrArray) images = images_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpImageBatch) batch = NULL;

  g_assert_cmpint (symlink (outside, escape), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  escape_uri = g_filename_to_uri (escape, NULL, NULL);

  assert_url_refused (outside, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused (escape, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused (escape_uri, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused (dotdot, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused (missing_outside, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused ("file:///etc/passwd", allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  assert_url_refused (missing_inside, allowed, LP_ERROR_INVALID_REQUEST, "cannot be read");
  assert_url_refused (subdir, allowed, LP_ERROR_INVALID_REQUEST, "is not a regular file");
  assert_url_refused (fifo, allowed, LP_ERROR_INVALID_REQUEST, "is not a regular file");
  assert_url_refused (text, allowed, LP_ERROR_INVALID_REQUEST, "is not a PNG, JPEG, GIF, WebP or BMP image");
  assert_url_refused ("file://example.com/x.png", allowed, LP_ERROR_INVALID_REQUEST, "not a valid local file URL");

  /* A sibling whose name merely starts with the allowed one. */
  {
    g_autofree char *sibling = make_dir ("allowed-not");
    g_autofree char *sibling_file = write_file (sibling, "pic.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));

    assert_url_refused (sibling_file, allowed, LP_ERROR_FORBIDDEN, "is not inside image_dir");
  }

  add_url (images, inside);
  batch = prepare_full (images, allowed, 16, LP_IMAGE_DEFAULT_FETCH_TIMEOUT_MS, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "is larger than 16 bytes"));
  g_assert_cmpuint (count_image_dirs (), ==, 0);

  g_assert_cmpint (g_unlink (escape), ==, 0);
  g_assert_cmpint (g_unlink (fifo), ==, 0);
}

static void
test_other_schemes (void)
{
  assert_url_refused ("ftp://127.0.0.1/x.png", NULL, LP_ERROR_INVALID_REQUEST, "is not supported");
  assert_url_refused ("relative/x.png", NULL, LP_ERROR_INVALID_REQUEST, "is not supported");
  assert_url_refused ("~other/x.png", "/", LP_ERROR_INVALID_REQUEST, "is not supported");
  assert_url_refused ("", NULL, LP_ERROR_INVALID_REQUEST, "neither data nor a URL");
}

static void
set_age (const char *path,
         gint64      seconds)
{
  struct timeval times[2];

  times[0].tv_sec = times[1].tv_sec = g_get_real_time () / G_USEC_PER_SEC - seconds;
  times[0].tv_usec = times[1].tv_usec = 0;
  g_assert_cmpint (lutimes (path, times), ==, 0);
}

static void
test_stale_dirs (void)
{
  g_autofree char *old = make_dir (DIR_PREFIX "old");
  g_autofree char *fresh = make_dir (DIR_PREFIX "fresh");
  g_autofree char *other = make_dir ("other-old");
  g_autofree char *victim = make_dir ("victim");
  g_autofree char *link = g_build_filename (test_root, DIR_PREFIX "link", NULL);
  g_autofree char *old_file = write_file (old, "image-1.png", (const guint8 *) "x", 1);
  g_autofree char *fresh_file = write_file (fresh, "image-1.png", (const guint8 *) "x", 1);
  g_autofree char *victim_file = write_file (victim, "keep.png", (const guint8 *) "x", 1);

  g_assert_cmpint (symlink (victim, link), ==, 0);
  set_age (old, 2 * 60 * 60);
  set_age (other, 2 * 60 * 60);
  set_age (victim, 2 * 60 * 60);
  set_age (link, 2 * 60 * 60);
  set_age (fresh, 10 * 60);

  lp_images_remove_stale_dirs ();

  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh_file, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (victim_file, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));

  g_assert_cmpint (g_unlink (fresh_file), ==, 0);
  g_assert_cmpint (g_rmdir (fresh), ==, 0);
  g_assert_cmpint (g_unlink (link), ==, 0);
}

/* Writes @user_data (if any), then holds the connection open forever. */
static gboolean
on_raw_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source_object,
                 gpointer           user_data)
{
  const char *response = user_data;

  if (response != NULL)
    g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                              response, strlen (response), NULL, NULL, NULL));

  g_ptr_array_add (raw_connections, g_object_ref (connection));
  return TRUE;
}

static char *
start_raw_server (const char *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  GSocketService *service = g_socket_service_new ();

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (on_raw_incoming), (gpointer) response);
  g_ptr_array_add (raw_services, service);

  return g_strdup_printf ("http://127.0.0.1:%u/image.png",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
}

static void
start_servers (void)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, server_callback, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  server_base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  raw_services = g_ptr_array_new_with_free_func (g_object_unref);
  raw_connections = g_ptr_array_new_with_free_func (g_object_unref);
  silent_url = start_raw_server (NULL);
  /* Declares far more than it sends: only the Content-Length check can
   * refuse it before the deadline. */
  overstated_url = start_raw_server ("HTTP/1.1 200 OK\r\n"
                                     "Content-Type: image/png\r\n"
                                     "Content-Length: 999999999\r\n"
                                     "\r\n"
                                     "\x89PNG\r\n\x1a\n");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && (dir = g_dir_open (path, 0, NULL)))
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
    }

  g_remove (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *template = NULL;
  int ret;

  /* Before anything caches g_get_tmp_dir() or g_get_home_dir(). */
  template = g_build_filename (g_getenv ("TMPDIR") ? g_getenv ("TMPDIR") : "/tmp",
                               "lp images XXXXXX", NULL);
  test_root = g_mkdtemp (template);
  g_assert_nonnull (test_root);
  g_setenv ("TMPDIR", test_root, TRUE);
  g_setenv ("HOME", test_root, TRUE);

  g_test_init (&argc, &argv, NULL);

  start_servers ();

  g_test_add_func ("/images/data-url", test_data_url);
  g_test_add_func ("/images/signatures", test_signatures);
  g_test_add_func ("/images/invalid-data", test_invalid_data);
  g_test_add_func ("/images/failure-cleans-up", test_failure_cleans_up);
  g_test_add_func ("/images/empty", test_empty);
  g_test_add_func ("/images/http/ok", test_http_ok);
  g_test_add_func ("/images/http/errors", test_http_errors);
  g_test_add_func ("/images/http/too-large", test_http_too_large);
  g_test_add_func ("/images/http/redirects", test_http_redirects);
  g_test_add_func ("/images/http/timeout", test_http_timeout);
  g_test_add_func ("/images/cancel", test_cancel);
  g_test_add_func ("/images/order", test_order);
  g_test_add_func ("/images/local/disabled", test_local_disabled);
  g_test_add_func ("/images/local/allowed", test_local_allowed);
  g_test_add_func ("/images/local/refused", test_local_refused);
  g_test_add_func ("/images/other-schemes", test_other_schemes);
  g_test_add_func ("/images/stale-dirs", test_stale_dirs);

  ret = g_test_run ();

  soup_server_disconnect (server);
  g_clear_object (&server);
  for (guint i = 0; i < raw_services->len; i++)
    g_socket_listener_close (g_ptr_array_index (raw_services, i));
  g_clear_pointer (&raw_services, g_ptr_array_unref);
  g_clear_pointer (&raw_connections, g_ptr_array_unref);
  g_free (server_base);
  g_free (silent_url);
  g_free (overstated_url);
  remove_tree (test_root);

  return ret;
}
