/* lp-discovery.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-discovery"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lp-discovery.h"
#include "lp-error.h"

#define PIPE_PREFIX "\\\\.\\pipe\\"

LpPlatform
lp_platform_current (void)
{
#if defined(G_OS_WIN32)
  return LP_PLATFORM_WINDOWS;
#elif defined(__APPLE__)
  return LP_PLATFORM_MACOS;
#else
  return LP_PLATFORM_LINUX;
#endif
}

void
lp_info_file_clear (LpInfoFile *info)
{
  g_return_if_fail (info != NULL);

  g_clear_pointer (&info->pipe, g_free);
  info->websocket_port = 0;
  info->pid = 0;
}

static gboolean
check_port (gint64   port,
            GError **error)
{
  if (port > 65535)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL,
                   "websocketPort %" G_GINT64_FORMAT " is out of range", port);
      return FALSE;
    }

  return TRUE;
}

/* An integer member, left alone when absent or null. */
static gboolean
json_get_int (JsonObject  *object,
              const char  *name,
              gint64      *out,
              GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL, "%s is not an integer", name);
      return FALSE;
    }

  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_json_info (const char  *text,
                 LpInfoFile  *info,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  JsonNode *pipe_node;

  if (!json_parser_load_from_data (parser, text, -1, &local_error))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL, "not valid JSON: %s", local_error->message);
      return FALSE;
    }

  /* The text starts with '{', so a successful parse is an object. */
  object = json_node_get_object (json_parser_get_root (parser));

  if (!json_get_int (object, "websocketPort", &info->websocket_port, error) ||
      !check_port (info->websocket_port, error) ||
      !json_get_int (object, "pid", &info->pid, error))
    return FALSE;

  pipe_node = json_object_get_member (object, "ipcServerPath");
  if (pipe_node != NULL && !JSON_NODE_HOLDS_NULL (pipe_node))
    {
      if (!JSON_NODE_HOLDS_VALUE (pipe_node) || json_node_get_value_type (pipe_node) != G_TYPE_STRING)
        {
          g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "ipcServerPath is not a string");
          return FALSE;
        }
      info->pipe = g_strstrip (g_strdup (json_node_get_string (pipe_node)));
    }

  return TRUE;
}

/* Non-blank trimmed lines: port, pid, optional pipe. */
static gboolean
parse_legacy_info (const char  *text,
                   LpInfoFile  *info,
                   GError     **error)
{
  g_auto(GStrv) raw_lines = g_strsplit (text, "\n", -1);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; raw_lines[i] != NULL; i++)
    {
      char *line = g_strstrip (g_strdup (raw_lines[i]));

      if (*line == '\0')
        g_free (line);
      else
        g_ptr_array_add (lines, line);
    }

  if (lines->len < 1 ||
      !g_ascii_string_to_signed (g_ptr_array_index (lines, 0), 10, G_MININT64, G_MAXINT64,
                                 &info->websocket_port, NULL))
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "the first line is not a port number");
      return FALSE;
    }

  if (!check_port (info->websocket_port, error))
    return FALSE;

  if (lines->len >= 2 &&
      !g_ascii_string_to_signed (g_ptr_array_index (lines, 1), 10, 0, G_MAXINT64, &info->pid, NULL))
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "the second line is not a process id");
      return FALSE;
    }

  if (lines->len >= 3)
    info->pipe = g_strdup (g_ptr_array_index (lines, 2));

  return TRUE;
}

gboolean
lp_discovery_parse_info (const char  *contents,
                         LpInfoFile  *out,
                         GError     **error)
{
  g_autofree char *text = NULL;
  g_auto(LpInfoFile) info = { 0 };

  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  text = g_strstrip (g_strdup (contents));
  if (text[0] == '{' ? !parse_json_info (text, &info, error) : !parse_legacy_info (text, &info, error))
    return FALSE;

  if (info.pid < 0)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL, "pid %" G_GINT64_FORMAT " is invalid", info.pid);
      return FALSE;
    }

  if (info.pipe == NULL)
    info.pipe = g_strdup ("");

  if (info.websocket_port <= 0 && *info.pipe == '\0')
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "names neither a websocketPort nor an ipcServerPath");
      return FALSE;
    }

  lp_info_file_clear (out);
  *out = info;
  info = (LpInfoFile) { 0 };

  return TRUE;
}

char *
lp_discovery_normalize_ws_url (const char  *url,
                               GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) fixed = NULL;
  const char *scheme;
  const char *host;

  g_return_val_if_fail (url != NULL, NULL);

  text = g_strstrip (g_strdup (url));
  /* ENCODED keeps percent-escapes as written when the URL is rebuilt. */
  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, "\"%s\" is not an absolute URL", text);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (!g_str_equal (scheme, "ws") && !g_str_equal (scheme, "wss"))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, "\"%s\" is not a ws:// or wss:// URL", text);
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, "\"%s\" has no host", text);
      return NULL;
    }

  if (*g_uri_get_path (uri) != '\0')
    return g_uri_to_string (uri);

  fixed = g_uri_build (G_URI_FLAGS_ENCODED, scheme, g_uri_get_userinfo (uri), host, g_uri_get_port (uri),
                       "/", g_uri_get_query (uri), g_uri_get_fragment (uri));
  return g_uri_to_string (fixed);
}

char *
lp_discovery_normalize_pipe (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (g_ascii_strncasecmp (path, PIPE_PREFIX, strlen (PIPE_PREFIX)) == 0)
    return g_strdup (path);

  return g_strconcat (PIPE_PREFIX, path, NULL);
}

char *
lp_discovery_pick_pipe (const char * const *names)
{
  const char *best = NULL;

  if (names == NULL)
    return NULL;

  /* Upstream's rule: the last in byte order. Names carry no start time,
   * so nothing better is known without asking each pipe. */
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (g_str_has_prefix (names[i], "lingma-") && (best == NULL || strcmp (names[i], best) > 0))
        best = names[i];
    }

  return best != NULL ? lp_discovery_normalize_pipe (best) : NULL;
}

/* Collapses separators, "." and "..", and drops a trailing separator,
 * with the platform's separator (Windows also accepts '/'). */
static char *
clean_path (LpPlatform  platform,
            const char *path)
{
  gboolean windows = platform == LP_PLATFORM_WINDOWS;
  const char *sep = windows ? "\\" : "/";
  g_autofree char *text = g_strdup (path);
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  g_auto(GStrv) pieces = NULL;
  GString *out = g_string_new (NULL);
  const char *rest = text;
  gboolean rooted;

  if (windows)
    g_strdelimit (text, "/", '\\');

  /* A Windows drive ("C:") stays as it is. */
  if (windows && g_ascii_isalpha (text[0]) && text[1] == ':')
    {
      g_string_append_len (out, text, 2);
      rest += 2;
    }

  rooted = *rest == *sep;
  if (rooted)
    {
      /* A UNC path ("\\server\share") keeps both leading separators. */
      if (windows && out->len == 0 && rest[1] == '\\')
        g_string_append_c (out, '\\');
      g_string_append (out, sep);
    }

  pieces = g_strsplit (rest, sep, -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      const char *piece = pieces[i];

      if (*piece == '\0' || g_str_equal (piece, "."))
        continue;

      if (g_str_equal (piece, ".."))
        {
          if (parts->len > 0 && !g_str_equal (g_ptr_array_index (parts, parts->len - 1), ".."))
            g_ptr_array_remove_index (parts, parts->len - 1);
          else if (!rooted)
            g_ptr_array_add (parts, (char *) piece);
          continue;
        }

      g_ptr_array_add (parts, (char *) piece);
    }

  for (guint i = 0; i < parts->len; i++)
    {
      if (i > 0)
        g_string_append (out, sep);
      g_string_append (out, g_ptr_array_index (parts, i));
    }

  if (out->len == 0)
    g_string_append_c (out, '.');

  return g_string_free (out, FALSE);
}

static gboolean
is_set (const char *value)
{
  return value != NULL && *value != '\0';
}

static char *
join_path (LpPlatform  platform,
           const char *base,
           const char *rest)
{
  g_autofree char *joined = g_strconcat (base, "/", rest, NULL);

  return clean_path (platform, joined);
}

static void
add_base (GPtrArray  *bases,
          LpPlatform  platform,
          const char *base)
{
  g_autofree char *cleaned = NULL;

  if (!is_set (base))
    return;

  cleaned = clean_path (platform, base);
  for (guint i = 0; i < bases->len; i++)
    {
      const char *other = g_ptr_array_index (bases, i);

      /* macOS and Windows file systems ignore case; Linux does not. */
      if (platform == LP_PLATFORM_LINUX ? g_str_equal (other, cleaned) : g_ascii_strcasecmp (other, cleaned) == 0)
        return;
    }

  g_ptr_array_add (bases, g_steal_pointer (&cleaned));
}

GPtrArray *
lp_discovery_info_candidates (LpPlatform  platform,
                              const char *home,
                              const char *config_dir,
                              const char *appdata,
                              const char *localappdata,
                              const char *programdata)
{
  static const char * const dirs[] = {
    "Lingma/SharedClientCache", "Lingma/sharedClientCache", "SharedClientCache", "sharedClientCache",
  };
  static const char * const files[] = { ".info.json", ".info" };
  g_autoptr(GPtrArray) bases = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *default_config = NULL;
  GPtrArray *candidates = g_ptr_array_new_with_free_func (g_free);

  if (!is_set (config_dir))
    {
      switch (platform)
        {
        case LP_PLATFORM_MACOS:
          if (is_set (home))
            default_config = join_path (platform, home, "Library/Application Support");
          break;
        case LP_PLATFORM_WINDOWS:
          default_config = g_strdup (appdata);
          break;
        case LP_PLATFORM_LINUX:
        default:
          if (is_set (home))
            default_config = join_path (platform, home, ".config");
          break;
        }
      config_dir = default_config;
    }

  add_base (bases, platform, config_dir);
  if (is_set (home))
    {
      g_autofree char *vscode = join_path (platform, home, ".lingma/vscode");
      g_autofree char *lingma = join_path (platform, home, ".lingma");

      add_base (bases, platform, vscode);
      add_base (bases, platform, lingma);
    }
  add_base (bases, platform, appdata);
  add_base (bases, platform, localappdata);
  add_base (bases, platform, programdata);

  for (guint i = 0; i < bases->len; i++)
    {
      for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
        {
          g_autofree char *dir = join_path (platform, g_ptr_array_index (bases, i), dirs[d]);

          for (guint f = 0; f < G_N_ELEMENTS (files); f++)
            g_ptr_array_add (candidates, join_path (platform, dir, files[f]));
        }
    }

  return candidates;
}

gboolean
lp_discovery_pid_alive (gint64 pid)
{
  g_return_val_if_fail (pid > 0, FALSE);

  if (pid > G_MAXINT32)
    return FALSE;

  /* Signal 0 only checks: EPERM means it exists under another user. */
  return kill ((pid_t) pid, 0) == 0 || errno != ESRCH;
}

static void
lp_discovery_skip_free (LpDiscoverySkip *skip)
{
  g_free (skip->path);
  g_free (skip->reason);
  g_free (skip);
}

static LpDiscoveryResult *
lp_discovery_result_new (void)
{
  LpDiscoveryResult *self = g_new0 (LpDiscoveryResult, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_discovery_skip_free);

  return self;
}

LpDiscoveryResult *
lp_discovery_result_ref (LpDiscoveryResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lp_discovery_result_unref (LpDiscoveryResult *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->endpoint);
  g_free (self->description);
  g_free (self->info_path);
  g_ptr_array_unref (self->skipped);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (LpDiscoveryResult, lp_discovery_result, lp_discovery_result_ref, lp_discovery_result_unref)

typedef struct
{
  LpConfig          *config;
  GPtrArray         *candidates;
  LpDiscoveryResult *result;
  gboolean           check_pids;
} Resolver;

static int
find_skip (GPtrArray  *skipped,
           const char *path)
{
  for (guint i = 0; i < skipped->len; i++)
    {
      if (g_str_equal (((LpDiscoverySkip *) g_ptr_array_index (skipped, i))->path, path))
        return i;
    }

  return -1;
}

static void
add_skip (Resolver   *resolver,
          const char *path,
          const char *reason)
{
  LpDiscoverySkip *skip;

  /* Windows "auto" may walk the files twice; note each once. */
  if (find_skip (resolver->result->skipped, path) >= 0)
    return;

  g_debug ("skipping %s: %s", path, reason);

  skip = g_new0 (LpDiscoverySkip, 1);
  skip->path = g_strdup (path);
  skip->reason = g_strdup (reason);
  g_ptr_array_add (resolver->result->skipped, skip);
}

/* The first info file that is readable, valid, from a live process and
 * names what is wanted: a pipe (@want_pipe) or a WebSocket port. */
static gboolean
find_info (Resolver    *resolver,
           gboolean     want_pipe,
           char       **path_out,
           LpInfoFile  *info_out,
           GError     **error)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GString) looked_in = g_string_new (NULL);

  for (guint i = 0; i < resolver->candidates->len; i++)
    {
      const char *path = g_ptr_array_index (resolver->candidates, i);
      g_auto(LpInfoFile) info = { 0 };
      g_autoptr(GError) local_error = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *reason = NULL;

      if (!g_file_get_contents (path, &contents, NULL, &local_error))
        {
          /* Most candidates do not exist: only other failures are news. */
          if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
              g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
            continue;
          reason = g_strdup_printf ("cannot be read: %s", local_error->message);
        }
      else if (!lp_discovery_parse_info (contents, &info, &local_error))
        reason = g_strdup (local_error->message);
      else if (resolver->check_pids && info.pid > 0 && !lp_discovery_pid_alive (info.pid))
        reason = g_strdup_printf ("Lingma process %" G_GINT64_FORMAT " is not running", info.pid);
      else if (want_pipe && *info.pipe == '\0')
        reason = g_strdup ("names no ipcServerPath");
      else if (!want_pipe && info.websocket_port <= 0)
        reason = g_strdup ("names no websocketPort");

      if (reason == NULL)
        {
          *path_out = g_strdup (path);
          *info_out = info;
          info = (LpInfoFile) { 0 };
          return TRUE;
        }

      add_skip (resolver, path, reason);
      g_string_append_printf (problems, "%s%s: %s", problems->len ? "; " : "", path, reason);
    }

  if (problems->len > 0)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE,
                   "no usable Lingma shared client cache info file: %s", problems->str);
      return FALSE;
    }

  for (guint i = 0; i < resolver->candidates->len; i++)
    g_string_append_printf (looked_in, "%s%s", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (resolver->candidates, i));
  g_set_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE,
               "no Lingma shared client cache info file was found (looked in: %s)", looked_in->str);
  return FALSE;
}

static void
take_info (Resolver    *resolver,
           char        *path,
           LpInfoFile  *info)
{
  LpDiscoveryResult *result = resolver->result;
  int skipped = find_skip (result->skipped, path);

  /* Windows "auto" may have passed this file over for want of a pipe. */
  if (skipped >= 0)
    g_ptr_array_remove_index (result->skipped, skipped);

  result->source = LP_DISCOVERY_SOURCE_INFO_FILE;
  result->info_path = path;
  result->pid = info->pid;
  if (info->pid > 0)
    result->description = g_strdup_printf ("info file %s (pid %" G_GINT64_FORMAT ")", path, info->pid);
  else
    result->description = g_strdup_printf ("info file %s", path);
}

static gboolean
resolve_websocket (Resolver  *resolver,
                   GError   **error)
{
  LpDiscoveryResult *result = resolver->result;
  const char *url = lp_config_get_websocket_url (resolver->config);
  g_auto(LpInfoFile) info = { 0 };
  char *path = NULL;

  result->transport = LP_TRANSPORT_WEBSOCKET;

  /* The config already ranks flag > environment > file. */
  if (*url != '\0')
    {
      result->endpoint = g_strdup (url);
      result->source = LP_DISCOVERY_SOURCE_CONFIG;
      result->description = g_strdup (lp_config_get_source (resolver->config, "websocket_url"));
      return TRUE;
    }

  if (!find_info (resolver, FALSE, &path, &info, error))
    return FALSE;

  result->endpoint = g_strdup_printf ("ws://127.0.0.1:%" G_GINT64_FORMAT "/", info.websocket_port);
  take_info (resolver, path, &info);
  return TRUE;
}

static gboolean
resolve_pipe (Resolver            *resolver,
              const char * const  *pipe_names,
              GError             **error)
{
  LpDiscoveryResult *result = resolver->result;
  const char *configured = lp_config_get_pipe (resolver->config);
  g_auto(LpInfoFile) info = { 0 };
  char *path = NULL;

  result->transport = LP_TRANSPORT_PIPE;

  if (*configured != '\0')
    {
      result->endpoint = lp_discovery_normalize_pipe (configured);
      result->source = LP_DISCOVERY_SOURCE_CONFIG;
      result->description = g_strdup (lp_config_get_source (resolver->config, "pipe"));
      return TRUE;
    }

  /* An info file failing here is no error yet: the scan may still succeed. */
  if (find_info (resolver, TRUE, &path, &info, NULL))
    {
      result->endpoint = lp_discovery_normalize_pipe (info.pipe);
      take_info (resolver, path, &info);
      return TRUE;
    }

  result->endpoint = lp_discovery_pick_pipe (pipe_names);
  if (result->endpoint == NULL)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_UNAVAILABLE, "no active Lingma named pipe was found");
      return FALSE;
    }

  result->source = LP_DISCOVERY_SOURCE_PIPE_SCAN;
  result->description = g_strdup ("scan of " PIPE_PREFIX);
  return TRUE;
}

/* Inside Flatpak the process ids of the host are not visible, so a live
 * Lingma would look dead: its pid cannot be checked from there. */
static gboolean
in_sandbox (char **env)
{
  return is_set (g_environ_getenv (env, "FLATPAK_ID"));
}

static GPtrArray *
candidates_from_env (LpPlatform          platform,
                     const char * const *envp)
{
  char **env = (char **) envp;
  const char *override = g_environ_getenv (env, "LINGMA_SHARED_CLIENT_INFO");
  const char *home = g_environ_getenv (env, "HOME");
  const char *xdg = g_environ_getenv (env, "XDG_CONFIG_HOME");

  /* Flatpak points XDG_CONFIG_HOME into the app's own directory; Lingma
   * writes its info file under the host's. */
  if (in_sandbox (env))
    xdg = g_environ_getenv (env, "HOST_XDG_CONFIG_HOME");

  if (is_set (override))
    {
      GPtrArray *only = g_ptr_array_new_with_free_func (g_free);

      g_ptr_array_add (only, g_strdup (override));
      return only;
    }

  if (platform == LP_PLATFORM_WINDOWS && is_set (g_environ_getenv (env, "USERPROFILE")))
    home = g_environ_getenv (env, "USERPROFILE");

  /* XDG: a relative XDG_CONFIG_HOME is invalid and ignored. */
  if (platform != LP_PLATFORM_LINUX || !is_set (xdg) || !g_path_is_absolute (xdg))
    xdg = NULL;

  return lp_discovery_info_candidates (platform, home, xdg,
                                       g_environ_getenv (env, "APPDATA"),
                                       g_environ_getenv (env, "LOCALAPPDATA"),
                                       g_environ_getenv (env, "ProgramData"));
}

LpDiscoveryResult *
lp_discover_for_platform (LpConfig            *config,
                          LpPlatform           platform,
                          const char * const  *envp,
                          const char * const  *pipe_names,
                          GError             **error)
{
  g_autoptr(LpDiscoveryResult) result = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  LpTransport transport;
  gboolean have_url;
  Resolver resolver;

  g_return_val_if_fail (LP_IS_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  transport = lp_config_get_transport (config);
  have_url = *lp_config_get_websocket_url (config) != '\0';

  if (transport == LP_TRANSPORT_PIPE && platform != LP_PLATFORM_WINDOWS)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_CONFIG, "Lingma pipe transport currently requires Windows");
      return NULL;
    }

  result = lp_discovery_result_new ();
  candidates = candidates_from_env (platform, envp);
  resolver = (Resolver) {
    .config = config,
    .candidates = candidates,
    .check_pids = !in_sandbox ((char **) envp),
    .result = result,
  };

  if (transport == LP_TRANSPORT_PIPE)
    {
      if (!resolve_pipe (&resolver, pipe_names, error))
        return NULL;
    }
  else if (transport == LP_TRANSPORT_WEBSOCKET || have_url || platform != LP_PLATFORM_WINDOWS)
    {
      if (!resolve_websocket (&resolver, error))
        return NULL;
    }
  else
    {
      g_autoptr(GError) pipe_error = NULL;
      g_autoptr(GError) ws_error = NULL;

      /* Windows "auto": the pipe first, then the WebSocket. */
      if (!resolve_pipe (&resolver, pipe_names, &pipe_error) &&
          !resolve_websocket (&resolver, &ws_error))
        {
          g_set_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE,
                       "no Lingma endpoint was found: pipe: %s; websocket: %s",
                       pipe_error->message, ws_error->message);
          return NULL;
        }
    }

  return g_steal_pointer (&result);
}

LpDiscoveryResult *
lp_discover (LpConfig            *config,
             const char * const  *envp,
             GError             **error)
{
  /* Listing \\.\pipe\ arrives with a Windows build; none exists yet. */
  return lp_discover_for_platform (config, lp_platform_current (), envp, NULL, error);
}
