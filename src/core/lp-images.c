/* lp-images.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-images"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lp-chat-request.h"
#include "lp-error.h"
#include "lp-images.h"

#define DIR_PREFIX        "lingma-proxy-img-"
#define STALE_AGE_SECONDS (60 * 60)
#define READ_CHUNK_SIZE   (64 * 1024)
#define FILE_URI_PREFIX   "lingma:///agent/file?path="

struct _LpImageBatch
{
  char      *dir;        /* private 0700 directory, NULL when there are no images */
  GPtrArray *files;      /* paths written into @dir */
  JsonArray *items;
  char      *image_url;
};

typedef enum
{
  SOURCE_BASE64,
  SOURCE_HTTP,
  SOURCE_LOCAL,
} SourceKind;

typedef struct
{
  SourceKind  kind;
  const char *base64;        /* SOURCE_BASE64: points into the LpImage */
  const char *url;           /* the URL the client sent, points into the LpImage */
  GUri       *uri;           /* SOURCE_HTTP */
  char       *path;          /* SOURCE_LOCAL: absolute, not yet canonical */
  GBytes     *fetched;       /* SOURCE_HTTP: the body once fetched */
  char       *content_type;  /* SOURCE_HTTP: as the server declared it */
} Slot;

typedef struct
{
  GPtrArray    *images;       /* referenced so the borrowed LpImages outlive the job */
  GArray       *slots;        /* Slot, one per image, in input order */
  char         *allowed_dir;
  SoupSession  *session;
  GCancellable *cancellable;  /* stops the fetches: first failure, timeout or caller */
  GCancellable *caller_cancellable;
  gulong        cancelled_id;
  GError       *error;        /* the first fetch failure */
  gsize         max_bytes;
  guint         timeout_ms;
  guint         timeout_id;
  guint         pending;
  gboolean      timed_out;
} PrepareJob;

typedef struct
{
  GTask        *task;
  guint         index;
  guint         redirects;
  GUri         *uri;
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *body;
} Fetch;

static void fetch_send (Fetch *fetch);
static void fetch_read (Fetch *fetch);

static void
slot_clear (Slot *slot)
{
  g_clear_pointer (&slot->uri, g_uri_unref);
  g_clear_pointer (&slot->path, g_free);
  g_clear_pointer (&slot->fetched, g_bytes_unref);
  g_clear_pointer (&slot->content_type, g_free);
}

static void
prepare_job_free (PrepareJob *job)
{
  g_assert (job->timeout_id == 0);
  g_assert (job->cancelled_id == 0);

  g_ptr_array_unref (job->images);
  g_array_unref (job->slots);
  g_free (job->allowed_dir);
  g_clear_object (&job->session);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->caller_cancellable);
  g_clear_error (&job->error);
  g_free (job);
}

static LpImageBatch *
lp_image_batch_new (void)
{
  LpImageBatch *self = g_new0 (LpImageBatch, 1);

  self->files = g_ptr_array_new_with_free_func (g_free);
  self->items = json_array_new ();

  return self;
}

void
lp_image_batch_free (LpImageBatch *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->files->len; i++)
    {
      const char *path = g_ptr_array_index (self->files, i);

      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("Could not delete %s: %s", path, g_strerror (errno));
    }

  if (self->dir != NULL && g_rmdir (self->dir) != 0)
    g_warning ("Could not delete %s: %s", self->dir, g_strerror (errno));

  g_free (self->dir);
  g_ptr_array_unref (self->files);
  json_array_unref (self->items);
  g_free (self->image_url);
  g_free (self);
}

JsonArray *
lp_image_batch_get_items (LpImageBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->items;
}

const char *
lp_image_batch_get_image_url (LpImageBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->image_url;
}

guint
lp_image_batch_get_count (LpImageBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return json_array_get_length (self->items);
}

/* The media type is taken from the bytes, not from what the client
 * declared: only these formats are accepted, and a wrong declaration
 * would otherwise reach Lingma unchanged. */
static const char *
sniff_media_type (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (len >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    return "image/jpeg";
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "image/gif";
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";

  /* "BM" alone is too weak a signature; the DIB header size must be one
   * of the sizes the BMP format defines. */
  if (len >= 18 && memcmp (data, "BM", 2) == 0)
    {
      guint32 dib = data[14] | (data[15] << 8) | (data[16] << 16) | ((guint32) data[17] << 24);

      if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124)
        return "image/bmp";
    }

  return NULL;
}

static const char *
extension_for_media_type (const char *media_type)
{
  if (g_str_equal (media_type, "image/png"))
    return "png";
  if (g_str_equal (media_type, "image/gif"))
    return "gif";
  if (g_str_equal (media_type, "image/webp"))
    return "webp";
  if (g_str_equal (media_type, "image/bmp"))
    return "bmp";
  return "jpg";
}

/* Form-style query escaping, as Go's url.QueryEscape does it: Lingma
 * decodes the path that way. */
static char *
query_escape (const char *text)
{
  GString *str = g_string_new (NULL);

  for (const guchar *p = (const guchar *) text; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
        g_string_append_c (str, *p);
      else if (*p == ' ')
        g_string_append_c (str, '+');
      else
        g_string_append_printf (str, "%%%02X", *p);
    }

  return g_string_free (str, FALSE);
}

/* g_base64_decode() silently skips characters outside the alphabet, so the
 * text is checked first: standard alphabet, padded, whitespace allowed. */
static GBytes *
decode_base64 (const char  *text,
               guint        index,
               gsize        max_bytes,
               GError     **error)
{
  gsize n = 0;
  gsize pad = 0;
  gsize decoded_len;
  guchar *decoded;

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isspace (*p))
        continue;

      if (*p == '=')
        pad++;
      else if (pad > 0 || !(g_ascii_isalnum (*p) || *p == '+' || *p == '/'))
        goto invalid;

      n++;
    }

  if (n == 0)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image %u: the base64 data is empty", index + 1);
      return NULL;
    }

  if (n % 4 != 0 || pad > 2)
    goto invalid;

  if (n / 4 * 3 - pad > max_bytes)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image %u is larger than %" G_GSIZE_FORMAT " bytes", index + 1, max_bytes);
      return NULL;
    }

  decoded = g_base64_decode (text, &decoded_len);
  if (decoded_len == 0)
    {
      g_free (decoded);
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image %u: the base64 data decodes to no bytes", index + 1);
      return NULL;
    }

  return g_bytes_new_take (decoded, decoded_len);

invalid:
  g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
               "image %u: the data is not valid standard base64", index + 1);
  return NULL;
}

static gboolean
path_is_inside (const char *path,
                const char *dir)
{
  gsize len = strlen (dir);

  if (len > 0 && dir[len - 1] == '/')
    len--;

  return strncmp (path, dir, len) == 0 && path[len] == '/';
}

static GBytes *
read_fd_capped (int          fd,
                const char  *display,
                gsize        max_bytes,
                GError     **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buf[READ_CHUNK_SIZE];

  for (;;)
    {
      gssize n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;

      if (n < 0)
        {
          int errsv = errno;

          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "image path %s cannot be read: %s", display, g_strerror (errsv));
          return NULL;
        }

      if (n == 0)
        break;

      /* Checked while reading too: the file may grow after fstat(). */
      if (data->len + n > max_bytes)
        {
          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "image path %s is larger than %" G_GSIZE_FORMAT " bytes", display, max_bytes);
          return NULL;
        }

      g_byte_array_append (data, buf, n);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Runs in a worker thread: realpath(), open() and read() block. */
static GBytes *
load_local_file (const char  *path,
                 const char  *display,
                 const char  *real_dir,
                 gsize        max_bytes,
                 GError     **error)
{
  g_autofree char *real = realpath (path, NULL);
  struct stat st;
  GBytes *bytes;
  int fd;

  if (real == NULL)
    {
      int errsv = errno;
      g_autofree char *lexical = g_canonicalize_filename (path, NULL);

      /* Outside the directory every failure reads the same, so the
       * answer reveals nothing about which files exist there. */
      if (!path_is_inside (lexical, real_dir))
        goto outside;

      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image path %s cannot be read: %s", display, g_strerror (errsv));
      return NULL;
    }

  if (!path_is_inside (real, real_dir))
    goto outside;

  /* O_NONBLOCK so that a FIFO cannot stall the thread before the
   * regular-file check below. */
  fd = g_open (real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image path %s cannot be read: %s", display, g_strerror (errsv));
      return NULL;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image path %s is not a regular file", display);
      bytes = NULL;
    }
  else if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image path %s is larger than %" G_GSIZE_FORMAT " bytes", display, max_bytes);
      bytes = NULL;
    }
  else
    {
      bytes = read_fd_capped (fd, display, max_bytes, error);
    }

  close (fd);
  return bytes;

outside:
  g_set_error (error, LP_ERROR, LP_ERROR_FORBIDDEN,
               "image path %s is not inside image_dir", display);
  return NULL;
}

static gboolean
write_private_file (const char  *path,
                    GBytes      *bytes,
                    GError     **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  int fd;

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    goto failed;

  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;

      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          errno = errsv;
          goto failed;
        }

      data += n;
      len -= n;
    }

  if (close (fd) != 0)
    goto failed;

  return TRUE;

failed:
  {
    int errsv = errno;

    g_set_error (error, LP_ERROR, LP_ERROR_INTERNAL,
                 "could not store image %s: %s", path, g_strerror (errsv));
    return FALSE;
  }
}

static GBytes *
load_slot (PrepareJob  *job,
           Slot        *slot,
           guint        index,
           const char  *real_dir,
           GError     **error)
{
  if (slot->kind == SOURCE_BASE64)
    return decode_base64 (slot->base64, index, job->max_bytes, error);

  if (slot->kind == SOURCE_HTTP)
    return g_bytes_ref (slot->fetched);

  if (real_dir == NULL)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_FORBIDDEN,
                   "image_dir %s cannot be resolved", job->allowed_dir);
      return NULL;
    }

  return load_local_file (slot->path, slot->url, real_dir, job->max_bytes, error);
}

static char *
describe_source (Slot  *slot,
                 guint  index)
{
  if (slot->kind == SOURCE_BASE64)
    return g_strdup_printf ("image %u", index + 1);

  return g_strdup_printf ("image %s", slot->url);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PrepareJob *job = task_data;
  g_autoptr(LpImageBatch) batch = lp_image_batch_new ();
  g_autofree char *real_dir = NULL;
  g_autoptr(GError) error = NULL;

  if (job->slots->len > 0)
    {
      g_autofree char *dir = g_dir_make_tmp (DIR_PREFIX "XXXXXX", &error);

      if (dir == NULL)
        {
          g_task_return_new_error (task, LP_ERROR, LP_ERROR_INTERNAL,
                                   "could not create a directory for images: %s", error->message);
          return;
        }

      batch->dir = g_canonicalize_filename (dir, NULL);
    }

  if (job->allowed_dir != NULL)
    real_dir = realpath (job->allowed_dir, NULL);

  for (guint i = 0; i < job->slots->len; i++)
    {
      Slot *slot = &g_array_index (job->slots, Slot, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *path = NULL;
      g_autofree char *escaped = NULL;
      g_autofree char *uri = NULL;
      g_autofree char *data = NULL;
      const char *media_type;
      JsonObject *item;

      if (g_task_return_error_if_cancelled (task))
        return;

      if (!(bytes = load_slot (job, slot, i, real_dir, &error)))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      if (!(media_type = sniff_media_type (bytes)))
        {
          g_autofree char *what = describe_source (slot, i);

          g_task_return_new_error (task, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                   "%s is not a PNG, JPEG, GIF, WebP or BMP image%s%s%s",
                                   what,
                                   slot->content_type ? " (Content-Type " : "",
                                   slot->content_type ? slot->content_type : "",
                                   slot->content_type ? ")" : "");
          return;
        }

      path = g_strdup_printf ("%s/image-%u.%s", batch->dir, i + 1,
                              extension_for_media_type (media_type));
      g_ptr_array_add (batch->files, g_strdup (path));

      if (!write_private_file (path, bytes, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      escaped = query_escape (path);
      uri = g_strconcat (FILE_URI_PREFIX, escaped, NULL);
      data = g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      item = json_object_new ();
      json_object_set_string_member (item, "type", "image");
      json_object_set_string_member (item, "mimeType", media_type);
      json_object_set_string_member (item, "uri", uri);
      json_object_set_string_member (item, "data", data);
      json_array_add_object_element (batch->items, item);

      if (batch->image_url == NULL && slot->kind != SOURCE_BASE64)
        batch->image_url = g_strdup (slot->url);
    }

  g_task_return_pointer (task, g_steal_pointer (&batch), (GDestroyNotify) lp_image_batch_free);
}

static void
fetching_done (GTask *task)
{
  PrepareJob *job = g_task_get_task_data (task);

  g_clear_handle_id (&job->timeout_id, g_source_remove);
  if (job->caller_cancellable != NULL)
    g_cancellable_disconnect (job->caller_cancellable, job->cancelled_id);
  job->cancelled_id = 0;

  /* Dropped here so the worker thread never releases the session. */
  g_clear_object (&job->session);

  if (job->error != NULL)
    g_task_return_error (task, g_steal_pointer (&job->error));
  else
    g_task_run_in_thread (task, write_thread);
}

static void
fetch_free (Fetch *fetch)
{
  g_clear_pointer (&fetch->uri, g_uri_unref);
  g_clear_object (&fetch->msg);
  g_clear_object (&fetch->stream);
  g_clear_pointer (&fetch->body, g_byte_array_unref);
  g_free (fetch);
}

/* Takes @error. The first failure stops the other fetches; the
 * cancellations it causes are not reported. */
static void
fetch_finish (Fetch  *fetch,
              GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&fetch->task);
  PrepareJob *job = g_task_get_task_data (task);
  Slot *slot = &g_array_index (job->slots, Slot, fetch->index);

  if (error == NULL)
    {
      slot->fetched = g_byte_array_free_to_bytes (g_steal_pointer (&fetch->body));
    }
  else if (job->error != NULL)
    {
      g_error_free (error);
    }
  else
    {
      if (job->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_error_free (error);
          error = g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                               "timed out after %u ms fetching image %s",
                               job->timeout_ms, slot->url);
        }
      else if (error->domain != LP_ERROR && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GError *cause = error;

          error = g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                               "could not fetch image %s: %s", slot->url, cause->message);
          g_error_free (cause);
        }

      job->error = error;
      g_cancellable_cancel (job->cancellable);
    }

  fetch_free (fetch);

  if (--job->pending == 0)
    fetching_done (task);
}

static void
fetch_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  PrepareJob *job = g_task_get_task_data (fetch->task);
  Slot *slot = &g_array_index (job->slots, Slot, fetch->index);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (chunk == NULL)
    {
      fetch_finish (fetch, error);
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      fetch_finish (fetch, NULL);
      return;
    }

  if (fetch->body->len + g_bytes_get_size (chunk) > job->max_bytes)
    {
      fetch_finish (fetch, g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                        "image %s is larger than %" G_GSIZE_FORMAT " bytes",
                                        slot->url, job->max_bytes));
      return;
    }

  g_byte_array_append (fetch->body,
                       g_bytes_get_data (chunk, NULL),
                       g_bytes_get_size (chunk));
  fetch_read (fetch);
}

static void
fetch_read (Fetch *fetch)
{
  PrepareJob *job = g_task_get_task_data (fetch->task);

  g_input_stream_read_bytes_async (fetch->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   job->cancellable, fetch_read_cb, fetch);
}

static gboolean
is_http_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);

  return (g_str_equal (scheme, "http") || g_str_equal (scheme, "https")) &&
         host != NULL && host[0] != '\0';
}

/* Redirects are followed here rather than by libsoup to bound their number
 * and keep every hop on http(s). */
static void
fetch_follow (Fetch      *fetch,
              const char *location)
{
  PrepareJob *job = g_task_get_task_data (fetch->task);
  Slot *slot = &g_array_index (job->slots, Slot, fetch->index);
  g_autoptr(GUri) next = NULL;

  if (++fetch->redirects > LP_IMAGE_MAX_REDIRECTS)
    {
      fetch_finish (fetch, g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                        "image %s redirects more than %u times",
                                        slot->url, LP_IMAGE_MAX_REDIRECTS));
      return;
    }

  if (location != NULL)
    next = g_uri_parse_relative (fetch->uri, location, SOUP_HTTP_URI_FLAGS, NULL);

  if (next == NULL || !is_http_uri (next))
    {
      fetch_finish (fetch, g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                        "image %s redirects to an invalid location",
                                        slot->url));
      return;
    }

  g_uri_unref (fetch->uri);
  fetch->uri = g_steal_pointer (&next);
  fetch_send (fetch);
}

static void
fetch_sent_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  PrepareJob *job = g_task_get_task_data (fetch->task);
  Slot *slot = &g_array_index (job->slots, Slot, fetch->index);
  g_autoptr(GInputStream) stream = NULL;
  SoupMessageHeaders *headers;
  GError *error = NULL;
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      fetch_finish (fetch, error);
      return;
    }

  status = soup_message_get_status (fetch->msg);
  headers = soup_message_get_response_headers (fetch->msg);

  if (status == SOUP_STATUS_MOVED_PERMANENTLY ||
      status == SOUP_STATUS_FOUND ||
      status == SOUP_STATUS_SEE_OTHER ||
      status == SOUP_STATUS_TEMPORARY_REDIRECT ||
      status == SOUP_STATUS_PERMANENT_REDIRECT)
    {
      fetch_follow (fetch, soup_message_headers_get_one (headers, "Location"));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      fetch_finish (fetch, g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                        "image %s answered HTTP %u", slot->url, status));
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > job->max_bytes)
    {
      fetch_finish (fetch, g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                        "image %s is larger than %" G_GSIZE_FORMAT " bytes",
                                        slot->url, job->max_bytes));
      return;
    }

  g_free (slot->content_type);
  slot->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));

  fetch->stream = g_steal_pointer (&stream);
  fetch->body = g_byte_array_new ();
  fetch_read (fetch);
}

static void
fetch_send (Fetch *fetch)
{
  PrepareJob *job = g_task_get_task_data (fetch->task);

  g_clear_object (&fetch->msg);
  fetch->msg = soup_message_new_from_uri (SOUP_METHOD_GET, fetch->uri);
  soup_message_add_flags (fetch->msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (fetch->msg), "Accept", "image/*");

  soup_session_send_async (job->session, fetch->msg, G_PRIORITY_DEFAULT,
                           job->cancellable, fetch_sent_cb, fetch);
}

static gboolean
on_fetch_timeout (gpointer user_data)
{
  PrepareJob *job = user_data;

  job->timeout_id = 0;
  job->timed_out = TRUE;
  g_cancellable_cancel (job->cancellable);

  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static gboolean
classify (PrepareJob     *job,
          guint           index,
          const LpImage  *image,
          Slot           *slot,
          GError        **error)
{
  const char *url = image->url;
  const char *scheme;

  slot->url = url;

  if (image->data_base64 != NULL)
    {
      slot->kind = SOURCE_BASE64;
      slot->base64 = image->data_base64;
      return TRUE;
    }

  if (url == NULL || url[0] == '\0')
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "image %u has neither data nor a URL", index + 1);
      return FALSE;
    }

  scheme = g_uri_peek_scheme (url);

  if (g_strcmp0 (scheme, "data") == 0)
    {
      const char *comma = strchr (url, ',');

      if (comma == NULL || comma - url < 12 ||
          g_ascii_strncasecmp (comma - 7, ";base64", 7) != 0)
        {
          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "image %u: data: URLs must be base64-encoded", index + 1);
          return FALSE;
        }

      slot->kind = SOURCE_BASE64;
      slot->base64 = comma + 1;
      slot->url = NULL;
      return TRUE;
    }

  if (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
    {
      g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

      if (uri == NULL || !is_http_uri (uri))
        {
          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "image URL %s is not valid", url);
          return FALSE;
        }

      slot->kind = SOURCE_HTTP;
      slot->uri = g_steal_pointer (&uri);
      return TRUE;
    }

  if (g_strcmp0 (scheme, "file") == 0 || url[0] == '/' ||
      g_str_equal (url, "~") || g_str_has_prefix (url, "~/"))
    {
      g_autofree char *path = NULL;

      if (job->allowed_dir == NULL)
        {
          g_set_error_literal (error, LP_ERROR, LP_ERROR_FORBIDDEN,
                               "local image paths are disabled; set image_dir to allow a directory");
          return FALSE;
        }

      if (scheme != NULL)
        {
          g_autofree char *host = NULL;

          path = g_filename_from_uri (url, &host, NULL);
          if (path == NULL || (host != NULL && g_ascii_strcasecmp (host, "localhost") != 0))
            {
              g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                           "image URL %s is not a valid local file URL", url);
              return FALSE;
            }
        }
      else if (url[0] == '~')
        {
          path = g_build_filename (g_get_home_dir (), url + 1, NULL);
        }
      else
        {
          path = g_strdup (url);
        }

      slot->kind = SOURCE_LOCAL;
      slot->path = g_steal_pointer (&path);
      return TRUE;
    }

  g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
               "image URL %s is not supported; use http(s), data or a base64 source", url);
  return FALSE;
}

/**
 * lp_image_batch_prepare_full_async:
 * @images: (element-type LpImage): the last user message's images; the
 *   array is referenced until the operation completes
 * @allowed_dir: (nullable): the only directory local paths may name
 * @session: (nullable): used for http(s) images; one is created if %NULL
 * @max_bytes: the largest image accepted, from any source
 * @fetch_timeout_ms: the deadline for all http(s) fetches together
 *
 * Resolves @images into a batch whose items are in input order. The
 * caller's @cancellable stops the work and leaves no files behind.
 */
void
lp_image_batch_prepare_full_async (GPtrArray           *images,
                                   const char          *allowed_dir,
                                   SoupSession         *session,
                                   gsize                max_bytes,
                                   guint                fetch_timeout_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PrepareJob *job;

  g_return_if_fail (images != NULL);
  g_return_if_fail (session == NULL || SOUP_IS_SESSION (session));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (max_bytes > 0);
  g_return_if_fail (fetch_timeout_ms > 0);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lp_image_batch_prepare_full_async);

  job = g_new0 (PrepareJob, 1);
  job->images = g_ptr_array_ref (images);
  job->slots = g_array_sized_new (FALSE, TRUE, sizeof (Slot), images->len);
  g_array_set_clear_func (job->slots, (GDestroyNotify) slot_clear);
  job->allowed_dir = g_strdup (allowed_dir);
  job->max_bytes = max_bytes;
  job->timeout_ms = fetch_timeout_ms;
  g_task_set_task_data (task, job, (GDestroyNotify) prepare_job_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  for (guint i = 0; i < images->len; i++)
    {
      Slot slot = { 0 };

      if (!classify (job, i, g_ptr_array_index (images, i), &slot, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      g_array_append_val (job->slots, slot);
      if (slot.kind == SOURCE_HTTP)
        job->pending++;
    }

  if (job->pending == 0)
    {
      g_task_run_in_thread (task, write_thread);
      return;
    }

  job->session = session ? g_object_ref (session) : soup_session_new ();
  job->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      job->caller_cancellable = g_object_ref (cancellable);
      job->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                 g_object_ref (job->cancellable), g_object_unref);
    }
  job->timeout_id = g_timeout_add (fetch_timeout_ms, on_fetch_timeout, job);

  for (guint i = 0; i < job->slots->len; i++)
    {
      Slot *slot = &g_array_index (job->slots, Slot, i);
      Fetch *fetch;

      if (slot->kind != SOURCE_HTTP)
        continue;

      fetch = g_new0 (Fetch, 1);
      fetch->task = g_object_ref (task);
      fetch->index = i;
      fetch->uri = g_uri_ref (slot->uri);
      fetch_send (fetch);
    }
}

void
lp_image_batch_prepare_async (GPtrArray           *images,
                              const char          *allowed_dir,
                              SoupSession         *session,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  lp_image_batch_prepare_full_async (images, allowed_dir, session,
                                     LP_IMAGE_DEFAULT_MAX_BYTES,
                                     LP_IMAGE_DEFAULT_FETCH_TIMEOUT_MS,
                                     cancellable, callback, user_data);
}

LpImageBatch *
lp_image_batch_prepare_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lp_image_batch_prepare_full_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Empties one directory we created. The directory is opened without
 * following symlinks and checked through the descriptor, so a name swapped
 * in /tmp by someone else cannot redirect the deletion. */
static void
remove_stale_dir (const char *path,
                  gint64      now)
{
  struct stat st;
  struct dirent *entry;
  DIR *dir;
  int fd;

  fd = g_open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0)
    return;

  if (fstat (fd, &st) != 0 || st.st_uid != getuid () || now - st.st_mtime < STALE_AGE_SECONDS)
    {
      close (fd);
      return;
    }

  if (!(dir = fdopendir (fd)))
    {
      close (fd);
      return;
    }

  while ((entry = readdir (dir)) != NULL)
    {
      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;

      if (unlinkat (dirfd (dir), entry->d_name, 0) != 0)
        g_debug ("Could not delete %s/%s: %s", path, entry->d_name, g_strerror (errno));
    }

  closedir (dir);

  if (g_rmdir (path) == 0)
    g_debug ("Deleted stale image directory %s", path);
  else
    g_debug ("Could not delete %s: %s", path, g_strerror (errno));
}

/**
 * lp_images_remove_stale_dirs:
 *
 * Deletes the image directories an earlier, crashed run left behind in
 * the temporary directory. Synchronous: call it at startup.
 */
void
lp_images_remove_stale_dirs (void)
{
  const char *tmp = g_get_tmp_dir ();
  g_autoptr(GDir) dir = g_dir_open (tmp, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (name, DIR_PREFIX))
        continue;

      path = g_build_filename (tmp, name, NULL);
      remove_stale_dir (path, now);
    }
}
