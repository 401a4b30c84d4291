/* lp-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-config"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "lp-config.h"
#include "lp-discovery.h"
#include "lp-error.h"

#define CONFIG_FILE_NAME "lingma-ipc-proxy.json"
/* Bad values are quoted in one-line errors; a pasted blob must not flood them. */
#define MAX_QUOTED_CHARS 120

G_DEFINE_ENUM_TYPE (LpTransport, lp_transport,
  G_DEFINE_ENUM_VALUE (LP_TRANSPORT_AUTO, "auto"),
  G_DEFINE_ENUM_VALUE (LP_TRANSPORT_WEBSOCKET, "websocket"),
  G_DEFINE_ENUM_VALUE (LP_TRANSPORT_PIPE, "pipe"))

G_DEFINE_ENUM_TYPE (LpMode, lp_mode,
  G_DEFINE_ENUM_VALUE (LP_MODE_AGENT, "agent"),
  G_DEFINE_ENUM_VALUE (LP_MODE_CHAT, "chat"))

G_DEFINE_ENUM_TYPE (LpSessionMode, lp_session_mode,
  G_DEFINE_ENUM_VALUE (LP_SESSION_MODE_AUTO, "auto"),
  G_DEFINE_ENUM_VALUE (LP_SESSION_MODE_FRESH, "fresh"),
  G_DEFINE_ENUM_VALUE (LP_SESSION_MODE_REUSE, "reuse"))

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_TRANSPORT,
  PROP_WEBSOCKET_URL,
  PROP_PIPE,
  PROP_MODE,
  PROP_SHELL_TYPE,
  PROP_SESSION_MODE,
  PROP_TIMEOUT,
  PROP_CWD,
  PROP_CURRENT_FILE_PATH,
  PROP_MODEL,
  PROP_MODEL_ALIASES,
  PROP_MAX_CONCURRENT,
  PROP_MAX_QUEUE,
  PROP_QUEUE_TIMEOUT,
  PROP_BODY_LIMIT,
  PROP_MAX_FRAME_SIZE,
  PROP_PING_INTERVAL,
  PROP_KEEPALIVE_INTERVAL,
  PROP_DEBUG_REQUESTS,
  PROP_STORE_MAX_RECORDS,
  PROP_STORE_MAX_BYTES,
  PROP_IMAGE_DIR,
  PROP_API_KEY,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

typedef enum
{
  KIND_STRING,
  KIND_NONEMPTY,
  KIND_PATH,          /* non-empty, made absolute */
  KIND_OPTIONAL_PATH, /* "" or made absolute */
  KIND_UINT,
  KIND_UINT64,
  KIND_BOOL,
  KIND_ENUM,
  KIND_WS_URL,
  KIND_ALIASES,
} KeyKind;

typedef struct
{
  const char *key;          /* file key */
  const char *env;
  const char *flag;         /* without the leading "--" */
  const char *metavar;
  KeyKind     kind;
  const char *expected;     /* replaces the generated "expected …" text; N_() */
  const char *default_text; /* replaces the property default in --help; N_() */
} KeyInfo;

static const KeyInfo keys [N_PROPS] = {
  [PROP_HOST] = { "host", "LINGMA_PROXY_HOST", "host", "ADDRESS", KIND_NONEMPTY },
  [PROP_PORT] = { "port", "LINGMA_PROXY_PORT", "port", "PORT", KIND_UINT,
                  N_("an integer from 1 to 65535, or 0 for any free port") },
  [PROP_TRANSPORT] = { "transport", "LINGMA_PROXY_TRANSPORT", "transport", "TRANSPORT", KIND_ENUM },
  [PROP_WEBSOCKET_URL] = { "websocket_url", "LINGMA_PROXY_WS_URL", "ws-url", "URL", KIND_WS_URL },
  [PROP_PIPE] = { "pipe", "LINGMA_IPC_PIPE", "pipe", "PIPE", KIND_STRING },
  [PROP_MODE] = { "mode", "LINGMA_PROXY_MODE", "mode", "MODE", KIND_ENUM },
  [PROP_SHELL_TYPE] = { "shell_type", "LINGMA_PROXY_SHELL_TYPE", "shell-type", "SHELL", KIND_NONEMPTY,
                        NULL, N_("the name of $SHELL, else bash") },
  [PROP_SESSION_MODE] = { "session_mode", "LINGMA_PROXY_SESSION_MODE", "session-mode", "MODE", KIND_ENUM },
  [PROP_TIMEOUT] = { "timeout", "LINGMA_PROXY_TIMEOUT_SECONDS", "timeout", "SECONDS", KIND_UINT },
  [PROP_CWD] = { "cwd", "LINGMA_PROXY_CWD", "cwd", "DIR", KIND_PATH,
                 NULL, N_("the current directory") },
  [PROP_CURRENT_FILE_PATH] = { "current_file_path", "LINGMA_PROXY_CURRENT_FILE_PATH", "current-file-path",
                               "PATH", KIND_STRING },
  [PROP_MODEL] = { "model", "LINGMA_PROXY_MODEL", "model", "MODEL", KIND_STRING },
  [PROP_MODEL_ALIASES] = { "model_aliases", "LINGMA_PROXY_MODEL_ALIASES", "model-alias", "NAME=TARGET",
                           KIND_ALIASES, NULL, N_("none") },
  [PROP_MAX_CONCURRENT] = { "max_concurrent", "LINGMA_PROXY_MAX_CONCURRENT", "max-concurrent", "N", KIND_UINT },
  [PROP_MAX_QUEUE] = { "max_queue", "LINGMA_PROXY_MAX_QUEUE", "max-queue", "N", KIND_UINT },
  [PROP_QUEUE_TIMEOUT] = { "queue_timeout", "LINGMA_PROXY_QUEUE_TIMEOUT_SECONDS", "queue-timeout", "SECONDS",
                           KIND_UINT },
  [PROP_BODY_LIMIT] = { "body_limit", "LINGMA_PROXY_BODY_LIMIT", "body-limit", "BYTES", KIND_UINT64,
                        N_("a byte count from 1024 (1 KiB) to 1073741824 (1 GiB)") },
  [PROP_MAX_FRAME_SIZE] = { "max_frame_size", "LINGMA_PROXY_MAX_FRAME_SIZE", "max-frame-size", "BYTES",
                            KIND_UINT64, N_("a byte count from 65536 (64 KiB) to 1073741824 (1 GiB)") },
  [PROP_PING_INTERVAL] = { "ping_interval", "LINGMA_PROXY_PING_INTERVAL", "ping-interval", "SECONDS",
                           KIND_UINT },
  [PROP_KEEPALIVE_INTERVAL] = { "keepalive_interval", "LINGMA_PROXY_KEEPALIVE_INTERVAL", "keepalive-interval",
                                "SECONDS", KIND_UINT },
  [PROP_DEBUG_REQUESTS] = { "debug_requests", "LINGMA_PROXY_DEBUG_REQUESTS", "debug-requests", "BOOL",
                            KIND_BOOL },
  [PROP_STORE_MAX_RECORDS] = { "store_max_records", "LINGMA_PROXY_STORE_MAX_RECORDS", "store-max-records", "N",
                               KIND_UINT },
  [PROP_STORE_MAX_BYTES] = { "store_max_bytes", "LINGMA_PROXY_STORE_MAX_BYTES", "store-max-bytes", "BYTES",
                             KIND_UINT64, N_("a byte count from 1048576 (1 MiB) to 4294967296 (4 GiB)") },
  [PROP_IMAGE_DIR] = { "image_dir", "LINGMA_PROXY_IMAGE_DIR", "image-dir", "DIR", KIND_OPTIONAL_PATH },
  [PROP_API_KEY] = { "api_key", "LINGMA_PROXY_API_KEY", "api-key", "KEY", KIND_STRING },
};

/* Every value with where it came from: the live set, or one being loaded. */
typedef struct
{
  GValue  values [N_PROPS];
  char   *sources [N_PROPS];
} ConfigState;

struct _LpConfig
{
  GObject      parent_instance;

  ConfigState  state;
  char        *file_path;
};

G_DEFINE_FINAL_TYPE (LpConfig, lp_config, G_TYPE_OBJECT)

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  /* Nicks are static strings: they outlive the class reference. */
  return ev != NULL ? ev->value_nick : NULL;
}

const char *
lp_transport_to_string (LpTransport transport)
{
  return enum_nick (LP_TYPE_TRANSPORT, transport);
}

const char *
lp_mode_to_string (LpMode mode)
{
  return enum_nick (LP_TYPE_MODE, mode);
}

const char *
lp_session_mode_to_string (LpSessionMode mode)
{
  return enum_nick (LP_TYPE_SESSION_MODE, mode);
}

static GHashTable *
aliases_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static GHashTable *
aliases_copy (GHashTable *aliases)
{
  GHashTable *copy = aliases_new ();
  GHashTableIter iter;
  gpointer name, target;

  if (aliases == NULL)
    return copy;

  g_hash_table_iter_init (&iter, aliases);
  while (g_hash_table_iter_next (&iter, &name, &target))
    g_hash_table_insert (copy, g_strdup (name), g_strdup (target));

  return copy;
}

static gboolean
aliases_equal (GHashTable *a,
               GHashTable *b)
{
  GHashTableIter iter;
  gpointer name, target;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &name, &target))
    {
      const char *other = g_hash_table_lookup (b, name);

      if (other == NULL || !g_str_equal (other, target))
        return FALSE;
    }

  return TRUE;
}

static gboolean
values_equal (guint         prop,
              const GValue *a,
              const GValue *b)
{
  if (keys[prop].kind == KIND_ALIASES)
    return aliases_equal (g_value_get_boxed (a), g_value_get_boxed (b));

  return g_param_values_cmp (properties[prop], a, b) == 0;
}

static char *
default_shell (const char * const *envp)
{
  const char *shell = g_environ_getenv ((char **) envp, "SHELL");
  g_autofree char *base = NULL;

  if (shell == NULL || *shell == '\0')
    return g_strdup ("bash");

  base = g_path_get_basename (shell);
  if (g_str_equal (base, ".") || g_str_equal (base, G_DIR_SEPARATOR_S))
    return g_strdup ("bash");

  return g_steal_pointer (&base);
}

static void
config_state_init (ConfigState        *state,
                   const char * const *envp)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      g_value_init (&state->values[i], G_PARAM_SPEC_VALUE_TYPE (properties[i]));
      g_param_value_set_default (properties[i], &state->values[i]);
      state->sources[i] = g_strdup ("default");
    }

  g_value_take_string (&state->values[PROP_CWD], g_get_current_dir ());
  g_value_take_string (&state->values[PROP_SHELL_TYPE], default_shell (envp));
  g_value_take_boxed (&state->values[PROP_MODEL_ALIASES], aliases_new ());
}

static void
config_state_clear (ConfigState *state)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      if (G_IS_VALUE (&state->values[i]))
        g_value_unset (&state->values[i]);
      g_clear_pointer (&state->sources[i], g_free);
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConfigState, config_state_clear)

static void
set_source (ConfigState *state,
            guint        prop,
            const char  *source)
{
  g_free (state->sources[prop]);
  state->sources[prop] = g_strdup (source);
}

/* The value as it goes inside "…" in a one-line message. */
static char *
quote_value (const char *value)
{
  GString *out = g_string_new (NULL);
  const char *end = value + strlen (value);
  gboolean truncated = FALSE;

  if (!g_utf8_validate (value, -1, NULL))
    {
      if (end - value > MAX_QUOTED_CHARS)
        {
          end = value + MAX_QUOTED_CHARS;
          truncated = TRUE;
        }
    }
  else if (g_utf8_strlen (value, -1) > MAX_QUOTED_CHARS)
    {
      end = g_utf8_offset_to_pointer (value, MAX_QUOTED_CHARS);
      truncated = TRUE;
    }

  for (const char *p = value; p < end; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, c);
    }

  if (truncated)
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

static char *
expected_text (guint prop)
{
  GParamSpec *pspec = properties[prop];

  if (keys[prop].expected != NULL)
    return g_strdup (_(keys[prop].expected));

  switch (keys[prop].kind)
    {
    case KIND_UINT:
      {
        GParamSpecUInt *uspec = G_PARAM_SPEC_UINT (pspec);

        if (g_str_equal (keys[prop].metavar, "SECONDS"))
          return g_strdup_printf (_("a number of seconds from %u to %u"), uspec->minimum, uspec->maximum);
        return g_strdup_printf (_("an integer from %u to %u"), uspec->minimum, uspec->maximum);
      }

    case KIND_ENUM:
      {
        GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
        char *text = g_strdup (klass->values[0].value_nick);

        /* One value at a time, so translators see whole phrases, not separators. */
        for (guint i = 1; i < klass->n_values; i++)
          {
            const char *nick = klass->values[i].value_nick;
            char *joined;

            if (i + 1 == klass->n_values)
              /* Translators: the last of the accepted values, "agent or chat". */
              joined = g_strdup_printf (_("%s or %s"), text, nick);
            else
              /* Translators: joins accepted values before the last, "auto, websocket". */
              joined = g_strdup_printf (_("%s, %s"), text, nick);
            g_free (text);
            text = joined;
          }
        return text;
      }

    case KIND_BOOL:
      return g_strdup (_("true or false (or 1/0, yes/no, on/off)"));
    case KIND_NONEMPTY:
      return g_strdup (_("a non-empty string"));
    case KIND_PATH:
      return g_strdup (_("a non-empty path"));
    case KIND_WS_URL:
      return g_strdup (_("a ws:// or wss:// URL with a host"));
    case KIND_ALIASES:
      return g_strdup (_("NAME=TARGET pairs separated by commas"));
    case KIND_STRING:
    case KIND_OPTIONAL_PATH:
    case KIND_UINT64:
    default:
      /* These never fail, or have their text in keys[]. */
      g_return_val_if_reached (NULL);
    }
}

static gboolean
invalid_value (guint        prop,
               const char  *value,
               const char  *origin,
               GError     **error)
{
  g_autofree char *quoted = quote_value (value);
  g_autofree char *expected = expected_text (prop);

  /* Translators: the key, the value, where it came from, what is accepted. */
  g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
               _("invalid %s \"%s\" (from %s): expected %s"),
               keys[prop].key, quoted, origin, expected);
  return FALSE;
}

static gboolean
parse_bool (const char *text,
            gboolean   *out)
{
  static const char * const yes[] = { "1", "true", "yes", "on" };
  static const char * const no[] = { "0", "false", "no", "off" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0)
        {
          *out = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (text, no[i]) == 0)
        {
          *out = FALSE;
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
parse_enum (guint       prop,
            const char *text,
            int        *out)
{
  GEnumClass *klass = G_PARAM_SPEC_ENUM (properties[prop])->enum_class;

  if (prop == PROP_TRANSPORT && g_ascii_strcasecmp (text, "ws") == 0)
    {
      *out = LP_TRANSPORT_WEBSOCKET;
      return TRUE;
    }

  for (guint i = 0; i < klass->n_values; i++)
    {
      if (g_ascii_strcasecmp (text, klass->values[i].value_nick) == 0)
        {
          *out = klass->values[i].value;
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
add_alias (GHashTable  *aliases,
           const char  *name,
           const char  *target,
           const char  *origin,
           GError     **error)
{
  g_autofree char *name_t = g_strstrip (g_strdup (name));
  g_autofree char *target_t = g_strstrip (g_strdup (target));

  if (*name_t == '\0' || *target_t == '\0')
    {
      g_autofree char *pair = g_strdup_printf ("%s=%s", name, target);

      return invalid_value (PROP_MODEL_ALIASES, pair, origin, error);
    }

  g_hash_table_replace (aliases, g_steal_pointer (&name_t), g_steal_pointer (&target_t));
  return TRUE;
}

/* "name=target,name2=target2"; an empty item (a trailing comma) is allowed. */
static gboolean
parse_aliases (GHashTable  *aliases,
               const char  *text,
               const char  *origin,
               GError     **error)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_autofree char *item = g_strstrip (g_strdup (items[i]));
      const char *eq;
      g_autofree char *name = NULL;

      if (*item == '\0')
        continue;

      eq = strchr (item, '=');
      if (eq == NULL)
        return invalid_value (PROP_MODEL_ALIASES, item, origin, error);

      name = g_strndup (item, eq - item);
      if (!add_alias (aliases, name, eq + 1, origin, error))
        return FALSE;
    }

  return TRUE;
}

/* Sets @prop from text. @source is what lp_config_get_source() reports,
 * @origin how an error names the place ("--port", "LINGMA_PROXY_PORT"). */
static gboolean
config_state_apply (ConfigState  *state,
                    guint         prop,
                    const char   *raw,
                    const char   *source,
                    const char   *origin,
                    GError      **error)
{
  g_autofree char *text = g_strstrip (g_strdup (raw));
  GValue *value = &state->values[prop];

  switch (keys[prop].kind)
    {
    case KIND_STRING:
      g_value_set_string (value, text);
      break;

    case KIND_NONEMPTY:
    case KIND_PATH:
      if (*text == '\0')
        return invalid_value (prop, raw, origin, error);
      if (keys[prop].kind == KIND_PATH)
        g_value_take_string (value, g_canonicalize_filename (text, NULL));
      else
        g_value_set_string (value, text);
      break;

    case KIND_OPTIONAL_PATH:
      if (*text == '\0')
        g_value_set_string (value, "");
      else
        g_value_take_string (value, g_canonicalize_filename (text, NULL));
      break;

    case KIND_UINT:
      {
        GParamSpecUInt *uspec = G_PARAM_SPEC_UINT (properties[prop]);
        guint64 number;

        if (!g_ascii_string_to_unsigned (text, 10, uspec->minimum, uspec->maximum, &number, NULL))
          return invalid_value (prop, raw, origin, error);
        g_value_set_uint (value, number);
        break;
      }

    case KIND_UINT64:
      {
        GParamSpecUInt64 *uspec = G_PARAM_SPEC_UINT64 (properties[prop]);
        guint64 number;

        if (!g_ascii_string_to_unsigned (text, 10, uspec->minimum, uspec->maximum, &number, NULL))
          return invalid_value (prop, raw, origin, error);
        g_value_set_uint64 (value, number);
        break;
      }

    case KIND_BOOL:
      {
        gboolean flag;

        if (!parse_bool (text, &flag))
          return invalid_value (prop, raw, origin, error);
        g_value_set_boolean (value, flag);
        break;
      }

    case KIND_ENUM:
      {
        int number;

        if (!parse_enum (prop, text, &number))
          return invalid_value (prop, raw, origin, error);
        g_value_set_enum (value, number);
        break;
      }

    case KIND_WS_URL:
      if (*text == '\0')
        {
          g_value_set_string (value, "");
        }
      else
        {
          g_autofree char *url = lp_discovery_normalize_ws_url (text, NULL);

          if (url == NULL)
            return invalid_value (prop, raw, origin, error);
          g_value_set_string (value, url);
        }
      break;

    case KIND_ALIASES:
      /* Layers merge: a later source overrides single names, not the map. */
      if (!parse_aliases (g_value_get_boxed (value), text, origin, error))
        return FALSE;
      break;

    default:
      g_assert_not_reached ();
    }

  set_source (state, prop, source);
  return TRUE;
}

static const char *
json_type_name (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return _("an object");
    case JSON_NODE_ARRAY:
      return _("an array");
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    case G_TYPE_INT64:
      return _("an integer");
    default:
      return _("a number");
    }
}

static gboolean
wrong_json_type (const char  *path,
                 guint        prop,
                 const char  *wanted,
                 JsonNode    *node,
                 GError     **error)
{
  /* Translators: the path, the key, the JSON type wanted, the type found. */
  g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
               _("config file %s: key \"%s\" must be %s, not %s"),
               path, keys[prop].key, wanted, json_type_name (node));
  return FALSE;
}

static gboolean
config_state_apply_json (ConfigState  *state,
                         guint         prop,
                         JsonNode     *node,
                         const char   *path,
                         const char   *source,
                         const char   *origin,
                         GError      **error)
{
  GType value_type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  switch (keys[prop].kind)
    {
    case KIND_UINT:
    case KIND_UINT64:
      {
        char number[32];

        if (value_type != G_TYPE_INT64)
          return wrong_json_type (path, prop, _("an integer"), node, error);
        /* Through text, so file, environment and flags share one range check. */
        g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, json_node_get_int (node));
        return config_state_apply (state, prop, number, source, origin, error);
      }

    case KIND_BOOL:
      if (value_type != G_TYPE_BOOLEAN)
        return wrong_json_type (path, prop, _("a boolean"), node, error);
      return config_state_apply (state, prop, json_node_get_boolean (node) ? "true" : "false",
                                 source, origin, error);

    case KIND_ALIASES:
      {
        JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
        GHashTable *aliases = g_value_get_boxed (&state->values[prop]);
        JsonObjectIter iter;
        const char *name;
        JsonNode *target;

        if (object == NULL)
          return wrong_json_type (path, prop, _("an object of strings"), node, error);

        json_object_iter_init (&iter, object);
        while (json_object_iter_next (&iter, &name, &target))
          {
            if (!JSON_NODE_HOLDS_VALUE (target) || json_node_get_value_type (target) != G_TYPE_STRING)
              {
                g_autofree char *quoted = quote_value (name);

                /* Translators: the path, the key, the alias name, the JSON type found. */
                g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                             _("config file %s: key \"%s\" must be an object of strings, but \"%s\" is %s"),
                             path, keys[prop].key, quoted, json_type_name (target));
                return FALSE;
              }
            if (!add_alias (aliases, name, json_node_get_string (target), origin, error))
              return FALSE;
          }
        set_source (state, prop, source);
        return TRUE;
      }

    case KIND_STRING:
    case KIND_NONEMPTY:
    case KIND_PATH:
    case KIND_OPTIONAL_PATH:
    case KIND_ENUM:
    case KIND_WS_URL:
    default:
      if (value_type != G_TYPE_STRING)
        return wrong_json_type (path, prop, _("a string"), node, error);
      return config_state_apply (state, prop, json_node_get_string (node), source, origin, error);
    }
}

static void
on_parser_error (JsonParser   *parser,
                 const GError *error,
                 guint        *line)
{
  /* The line is only known while the parser runs. */
  *line = json_parser_get_current_line (parser);
}

static gboolean
config_state_apply_file (ConfigState  *state,
                         const char   *path,
                         GError      **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *source = g_strdup_printf ("file %s", path);
  /* Translators: where a bad value came from, in "(from config file PATH)". */
  g_autofree char *origin = g_strdup_printf (_("config file %s"), path);
  JsonNode *root;
  JsonObject *object;
  gsize length;
  guint line = 0;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      const char *reason;

      switch (local_error->code)
        {
        case G_FILE_ERROR_NOENT:
          reason = _("no such file");
          break;
        case G_FILE_ERROR_ACCES:
        case G_FILE_ERROR_PERM:
          reason = _("permission denied");
          break;
        case G_FILE_ERROR_ISDIR:
          reason = _("is a directory");
          break;
        default:
          reason = local_error->message;
          break;
        }
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("config file %s: cannot be read: %s"), path, reason);
      return FALSE;
    }

  g_signal_connect (parser, "error", G_CALLBACK (on_parser_error), &line);
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      /* json-glib says "<data>:LINE:COL: Parse error: WHAT"; keep only WHAT. */
      const char *what = strstr (local_error->message, "Parse error: ");

      what = what != NULL ? what + strlen ("Parse error: ") : local_error->message;
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("config file %s: malformed JSON at line %u: %s"),
                   path, line, what);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("config file %s: expected a JSON object, found %s"),
                   path, root == NULL ? _("nothing") : json_type_name (root));
      return FALSE;
    }

  object = json_node_get_object (root);
  for (guint i = 1; i < N_PROPS; i++)
    {
      JsonNode *node = json_object_get_member (object, keys[i].key);

      if (node != NULL && !config_state_apply_json (state, i, node, path, source, origin, error))
        return FALSE;
    }

  return TRUE;
}

static const char *
getenv_nonempty (const char * const *envp,
                 const char         *name)
{
  const char *value = g_environ_getenv ((char **) envp, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

static gboolean
config_state_apply_env (ConfigState         *state,
                        const char * const  *envp,
                        GError             **error)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      const char *value = getenv_nonempty (envp, keys[i].env);
      g_autofree char *source = NULL;

      if (value == NULL)
        continue;

      source = g_strdup_printf ("environment %s", keys[i].env);
      if (!config_state_apply (state, i, value, source, keys[i].env, error))
        return FALSE;
    }

  return TRUE;
}

typedef struct
{
  guint  prop;
  char  *flag;   /* "--port": the name errors use */
  char  *value;
} FlagValue;

static void
flag_value_free (FlagValue *fv)
{
  g_free (fv->flag);
  g_free (fv->value);
  g_free (fv);
}

static int
find_flag (const char *name)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      if (g_str_equal (keys[i].flag, name))
        return i;
    }

  return -1;
}

/* Syntax only: which flags with which values, and the config file named.
 * Values are checked when applied, after the file and the environment. */
static gboolean
parse_flags (const char * const  *argv,
             GPtrArray           *flags,
             char               **config_path,
             GError             **error)
{
  if (argv == NULL || argv[0] == NULL)
    return TRUE;

  for (guint i = 1; argv[i] != NULL; i++)
    {
      const char *arg = argv[i];
      const char *eq;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      int prop = -1;

      if (g_str_equal (arg, "-h"))
        continue;

      if (!g_str_has_prefix (arg, "--") || arg[2] == '\0')
        {
          g_autofree char *quoted = quote_value (arg);

          g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("unexpected argument \"%s\" (see --help)"), quoted);
          return FALSE;
        }

      eq = strchr (arg, '=');
      name = eq != NULL ? g_strndup (arg + 2, eq - arg - 2) : g_strdup (arg + 2);
      if (eq != NULL)
        value = g_strdup (eq + 1);

      if (g_str_equal (name, "help") || g_str_equal (name, "version"))
        continue;

      if (!g_str_equal (name, "config"))
        {
          prop = find_flag (name);
          if (prop < 0)
            {
              g_autofree char *quoted = quote_value (name);

              g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("unknown flag \"--%s\" (see --help)"), quoted);
              return FALSE;
            }
        }

      if (value == NULL && prop >= 0 && keys[prop].kind == KIND_BOOL)
        value = g_strdup ("true");

      if (value == NULL)
        {
          /* A following flag is not a value: "--model --port 1" lacks one. */
          if (argv[i + 1] == NULL || g_str_has_prefix (argv[i + 1], "--"))
            {
              g_set_error (error, LP_ERROR, LP_ERROR_CONFIG, _("flag --%s needs a value"), name);
              return FALSE;
            }
          value = g_strdup (argv[++i]);
        }

      if (prop < 0)
        {
          if (*value == '\0')
            {
              g_set_error_literal (error, LP_ERROR, LP_ERROR_CONFIG, _("flag --config needs a value"));
              return FALSE;
            }
          g_free (*config_path);
          *config_path = g_steal_pointer (&value);
        }
      else
        {
          FlagValue *fv = g_new0 (FlagValue, 1);

          fv->prop = prop;
          fv->flag = g_strdup_printf ("--%s", name);
          fv->value = g_steal_pointer (&value);
          g_ptr_array_add (flags, fv);
        }
    }

  return TRUE;
}

/* NULL when no file applies. */
static char *
select_config_file (const char         *flag_path,
                    const char * const *envp)
{
  const char *env_path = getenv_nonempty (envp, "LINGMA_PROXY_CONFIG");
  const char *xdg = getenv_nonempty (envp, "XDG_CONFIG_HOME");
  const char *home = getenv_nonempty (envp, "HOME");
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *local = g_build_filename (cwd, CONFIG_FILE_NAME, NULL);
  g_autofree char *user = NULL;

  if (flag_path != NULL)
    return g_strdup (flag_path);
  if (env_path != NULL)
    return g_strdup (env_path);
  if (g_file_test (local, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&local);

  /* A relative XDG_CONFIG_HOME is invalid and must be ignored. */
  if (xdg != NULL && g_path_is_absolute (xdg))
    user = g_build_filename (xdg, "lingma-ipc-proxy", "config.json", NULL);
  else if (home != NULL)
    user = g_build_filename (home, ".config", "lingma-ipc-proxy", "config.json", NULL);

  if (user != NULL && g_file_test (user, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&user);

  return NULL;
}

gboolean
lp_config_load (LpConfig           *self,
                const char * const *argv,
                const char * const *envp,
                GError            **error)
{
  g_auto(ConfigState) state = { 0 };
  g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func ((GDestroyNotify) flag_value_free);
  g_autofree char *flag_config = NULL;
  g_autofree char *file_path = NULL;

  g_return_val_if_fail (LP_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_flags (argv, flags, &flag_config, error))
    return FALSE;

  config_state_init (&state, envp);

  file_path = select_config_file (flag_config, envp);
  if (file_path != NULL && !config_state_apply_file (&state, file_path, error))
    return FALSE;

  if (!config_state_apply_env (&state, envp, error))
    return FALSE;

  for (guint i = 0; i < flags->len; i++)
    {
      FlagValue *fv = g_ptr_array_index (flags, i);
      g_autofree char *source = g_strdup_printf ("flag %s", fv->flag);

      if (!config_state_apply (&state, fv->prop, fv->value, source, fv->flag, error))
        return FALSE;
    }

  /* Commit: everything validated, so swap in and notify what changed. */
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 1; i < N_PROPS; i++)
    {
      char *source = state.sources[i];

      state.sources[i] = self->state.sources[i];
      self->state.sources[i] = source;

      if (!values_equal (i, &self->state.values[i], &state.values[i]))
        {
          GValue value = self->state.values[i];

          self->state.values[i] = state.values[i];
          state.values[i] = value;
          g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
        }
    }
  g_free (self->file_path);
  self->file_path = g_steal_pointer (&file_path);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

static int
find_key (const char *key)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      if (g_str_equal (keys[i].key, key) || g_str_equal (properties[i]->name, key))
        return i;
    }

  return -1;
}

const char *
lp_config_get_source (LpConfig   *self,
                      const char *key)
{
  int prop;

  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  prop = find_key (key);
  return prop > 0 ? self->state.sources[prop] : NULL;
}

const char *
lp_config_get_file_path (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);

  return self->file_path;
}

static JsonNode *
config_to_json (LpConfig *self,
                gboolean  mask_secrets)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  for (guint i = 1; i < N_PROPS; i++)
    {
      const GValue *value = &self->state.values[i];

      json_builder_set_member_name (builder, keys[i].key);
      switch (keys[i].kind)
        {
        case KIND_UINT:
          json_builder_add_int_value (builder, g_value_get_uint (value));
          break;

        case KIND_UINT64:
          json_builder_add_int_value (builder, g_value_get_uint64 (value));
          break;

        case KIND_BOOL:
          json_builder_add_boolean_value (builder, g_value_get_boolean (value));
          break;

        case KIND_ENUM:
          json_builder_add_string_value (builder, enum_nick (G_VALUE_TYPE (value), g_value_get_enum (value)));
          break;

        case KIND_ALIASES:
          {
            GHashTable *aliases = g_value_get_boxed (value);
            /* Sorted, so saved files diff cleanly. */
            g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (aliases), (GCompareFunc) g_strcmp0);

            json_builder_begin_object (builder);
            for (const GList *l = names; l != NULL; l = l->next)
              {
                json_builder_set_member_name (builder, l->data);
                json_builder_add_string_value (builder, g_hash_table_lookup (aliases, l->data));
              }
            json_builder_end_object (builder);
            break;
          }

        case KIND_STRING:
        case KIND_NONEMPTY:
        case KIND_PATH:
        case KIND_OPTIONAL_PATH:
        case KIND_WS_URL:
        default:
          if (i == PROP_API_KEY && mask_secrets && *g_value_get_string (value) != '\0')
            json_builder_add_string_value (builder, "********");
          else
            json_builder_add_string_value (builder, g_value_get_string (value));
          break;
        }
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

JsonNode *
lp_config_to_json (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);

  return config_to_json (self, TRUE);
}

gboolean
lp_config_save (LpConfig    *self,
                const char  *path,
                GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (LP_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("cannot create %s: %s"), dir, g_strerror (errsv));
      return FALSE;
    }

  root = config_to_json (self, FALSE);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  contents = g_strconcat (text, "\n", NULL);

  /* The file holds api_key: never readable by others, even briefly. */
  return g_file_set_contents_full (path, contents, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static char *
default_text (guint prop)
{
  const GValue *value = g_param_spec_get_default_value (properties[prop]);

  if (keys[prop].default_text != NULL)
    return g_strdup (_(keys[prop].default_text));

  switch (keys[prop].kind)
    {
    case KIND_UINT:
      return g_strdup_printf ("%u", g_value_get_uint (value));
    case KIND_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, g_value_get_uint64 (value));
    case KIND_BOOL:
      return g_strdup (g_value_get_boolean (value) ? "true" : "false");
    case KIND_ENUM:
      return g_strdup (enum_nick (G_VALUE_TYPE (value), g_value_get_enum (value)));
    case KIND_STRING:
    case KIND_NONEMPTY:
    case KIND_PATH:
    case KIND_OPTIONAL_PATH:
    case KIND_WS_URL:
    case KIND_ALIASES:
    default:
      {
        const char *text = g_value_get_string (value);

        return g_strdup (text != NULL && *text != '\0' ? text : _("none"));
      }
    }
}

char *
lp_config_help_text (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (LP_TYPE_CONFIG);
  GString *help = g_string_new (NULL);

  g_string_append_printf (help, "%s\n\n  --config FILE\n      ",
                          _("Each setting comes from, in rising precedence: its default, the config\n"
                            "file (under the key shown), its environment variable, its flag\n"
                            "(--flag VALUE or --flag=VALUE)."));
  /* Translators: keep the indentation of the second line; %s is the file name. */
  g_string_append_printf (help, _("JSON config file. [LINGMA_PROXY_CONFIG; default ./%s,\n"
                                  "      else $XDG_CONFIG_HOME/lingma-ipc-proxy/config.json, if they exist]"),
                          CONFIG_FILE_NAME);
  g_string_append_c (help, '\n');

  for (guint i = 1; i < N_PROPS; i++)
    {
      g_autofree char *dflt = default_text (i);

      /* A boolean flag alone means true, so its value is optional. */
      g_string_append_printf (help, keys[i].kind == KIND_BOOL ? "  --%s[=%s]\n" : "  --%s %s\n",
                              keys[i].flag, keys[i].metavar);
      g_string_append_printf (help, "      %s\n      ", _(g_param_spec_get_blurb (properties[i])));
      /* Translators: the config file key, the environment variable, the default value. */
      g_string_append_printf (help, _("[key %s; %s; default %s]"), keys[i].key, keys[i].env, dflt);
      g_string_append_c (help, '\n');
    }

  return g_string_free (help, FALSE);
}

const char *
lp_config_get_host (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_HOST]);
}

guint
lp_config_get_port (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_PORT]);
}

LpTransport
lp_config_get_transport (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), LP_TRANSPORT_AUTO);
  return g_value_get_enum (&self->state.values[PROP_TRANSPORT]);
}

const char *
lp_config_get_websocket_url (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_WEBSOCKET_URL]);
}

const char *
lp_config_get_pipe (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_PIPE]);
}

LpMode
lp_config_get_mode (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), LP_MODE_AGENT);
  return g_value_get_enum (&self->state.values[PROP_MODE]);
}

const char *
lp_config_get_shell_type (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_SHELL_TYPE]);
}

LpSessionMode
lp_config_get_session_mode (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), LP_SESSION_MODE_AUTO);
  return g_value_get_enum (&self->state.values[PROP_SESSION_MODE]);
}

guint
lp_config_get_timeout (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_TIMEOUT]);
}

const char *
lp_config_get_cwd (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_CWD]);
}

const char *
lp_config_get_current_file_path (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_CURRENT_FILE_PATH]);
}

const char *
lp_config_get_model (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_MODEL]);
}

GHashTable *
lp_config_get_model_aliases (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_boxed (&self->state.values[PROP_MODEL_ALIASES]);
}

const char *
lp_config_resolve_alias (LpConfig   *self,
                         const char *name)
{
  const char *target;

  g_return_val_if_fail (LP_IS_CONFIG (self), name);

  if (name == NULL)
    return NULL;

  target = g_hash_table_lookup (lp_config_get_model_aliases (self), name);
  return target != NULL ? target : name;
}

guint
lp_config_get_max_concurrent (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_MAX_CONCURRENT]);
}

guint
lp_config_get_max_queue (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_MAX_QUEUE]);
}

guint
lp_config_get_queue_timeout (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_QUEUE_TIMEOUT]);
}

guint64
lp_config_get_body_limit (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint64 (&self->state.values[PROP_BODY_LIMIT]);
}

guint64
lp_config_get_max_frame_size (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint64 (&self->state.values[PROP_MAX_FRAME_SIZE]);
}

guint
lp_config_get_ping_interval (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_PING_INTERVAL]);
}

guint
lp_config_get_keepalive_interval (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_KEEPALIVE_INTERVAL]);
}

gboolean
lp_config_get_debug_requests (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), FALSE);
  return g_value_get_boolean (&self->state.values[PROP_DEBUG_REQUESTS]);
}

guint
lp_config_get_store_max_records (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint (&self->state.values[PROP_STORE_MAX_RECORDS]);
}

guint64
lp_config_get_store_max_bytes (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), 0);
  return g_value_get_uint64 (&self->state.values[PROP_STORE_MAX_BYTES]);
}

const char *
lp_config_get_image_dir (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_IMAGE_DIR]);
}

const char *
lp_config_get_api_key (LpConfig *self)
{
  g_return_val_if_fail (LP_IS_CONFIG (self), NULL);
  return g_value_get_string (&self->state.values[PROP_API_KEY]);
}

static void
lp_config_finalize (GObject *object)
{
  LpConfig *self = (LpConfig *) object;

  config_state_clear (&self->state);
  g_clear_pointer (&self->file_path, g_free);

  G_OBJECT_CLASS (lp_config_parent_class)->finalize (object);
}

static void
lp_config_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LpConfig *self = LP_CONFIG (object);

  if (prop_id == 0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  g_value_copy (&self->state.values[prop_id], value);
}

static void
lp_config_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LpConfig *self = LP_CONFIG (object);
  GValue copy = G_VALUE_INIT;

  if (prop_id == 0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  g_value_init (&copy, G_PARAM_SPEC_VALUE_TYPE (pspec));
  if (keys[prop_id].kind == KIND_ALIASES)
    g_value_take_boxed (&copy, aliases_copy (g_value_get_boxed (value)));
  else if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) == NULL)
    g_value_set_static_string (&copy, "");
  else
    g_value_copy (value, &copy);

  if (values_equal (prop_id, &self->state.values[prop_id], &copy))
    {
      g_value_unset (&copy);
      return;
    }

  g_value_unset (&self->state.values[prop_id]);
  self->state.values[prop_id] = copy;
  set_source (&self->state, prop_id, "settings");
  g_object_notify_by_pspec (object, pspec);
}

static void
lp_config_class_init (LpConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lp_config_finalize;
  object_class->get_property = lp_config_get_property;
  object_class->set_property = lp_config_set_property;

  /* Blurbs are --help text: marked here, translated by lp_config_help_text(). */
  properties[PROP_HOST] =
    g_param_spec_string ("host", "Host",
                         N_("Address to listen on."),
                         "127.0.0.1", flags);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", "Port",
                       N_("TCP port to listen on; 0 picks any free port."),
                       0, 65535, 8095, flags);
  properties[PROP_TRANSPORT] =
    g_param_spec_enum ("transport", "Transport",
                       N_("How to reach Lingma: auto, websocket (or ws) or pipe (Windows)."),
                       LP_TYPE_TRANSPORT, LP_TRANSPORT_AUTO, flags);
  properties[PROP_WEBSOCKET_URL] =
    g_param_spec_string ("websocket-url", "WebSocket URL",
                         N_("Lingma's ws:// URL; empty finds it from Lingma's info file."),
                         "", flags);
  properties[PROP_PIPE] =
    g_param_spec_string ("pipe", "Pipe",
                         N_("Lingma's named pipe (Windows); empty finds it."),
                         "", flags);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", "Mode",
                       N_("Lingma chat mode: agent or chat."),
                       LP_TYPE_MODE, LP_MODE_AGENT, flags);
  properties[PROP_SHELL_TYPE] =
    g_param_spec_string ("shell-type", "Shell type",
                         N_("Shell named to Lingma."),
                         "bash", flags);
  properties[PROP_SESSION_MODE] =
    g_param_spec_enum ("session-mode", "Session mode",
                       N_("Lingma sessions per request: auto, fresh or reuse."),
                       LP_TYPE_SESSION_MODE, LP_SESSION_MODE_AUTO, flags);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", "Timeout",
                       N_("Seconds a request may take, from 1 to 86400."),
                       1, 86400, 300, flags);
  properties[PROP_CWD] =
    g_param_spec_string ("cwd", "Working directory",
                         N_("Workspace directory sent to Lingma."),
                         NULL, flags);
  properties[PROP_CURRENT_FILE_PATH] =
    g_param_spec_string ("current-file-path", "Current file",
                         N_("File reported to Lingma as open."),
                         "", flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", "Default model",
                         N_("Model for requests naming one Lingma does not know; empty lets Lingma pick."),
                         "", flags);
  properties[PROP_MODEL_ALIASES] =
    g_param_spec_boxed ("model-aliases", "Model aliases",
                        N_("Maps a client's model name to a Lingma model; the flag repeats, the variable "
                           "takes NAME=TARGET,NAME2=TARGET2 and the file an object."),
                        G_TYPE_HASH_TABLE, flags);
  properties[PROP_MAX_CONCURRENT] =
    g_param_spec_uint ("max-concurrent", "Concurrent requests",
                       N_("Chat requests run at once, from 1 to 16."),
                       1, 16, 4, flags);
  properties[PROP_MAX_QUEUE] =
    g_param_spec_uint ("max-queue", "Queue length",
                       N_("Chat requests waiting for a slot, from 0 to 1024; more are refused."),
                       0, 1024, 8, flags);
  properties[PROP_QUEUE_TIMEOUT] =
    g_param_spec_uint ("queue-timeout", "Queue timeout",
                       N_("Seconds a request may wait for a slot, from 1 to 3600."),
                       1, 3600, 30, flags);
  properties[PROP_BODY_LIMIT] =
    g_param_spec_uint64 ("body-limit", "Body limit",
                         N_("Largest request body in bytes, from 1 KiB to 1 GiB."),
                         1024, G_GUINT64_CONSTANT (1) << 30, 64 << 20, flags);
  properties[PROP_MAX_FRAME_SIZE] =
    g_param_spec_uint64 ("max-frame-size", "Largest IPC frame",
                         N_("Largest message from Lingma in bytes, from 64 KiB to 1 GiB."),
                         64 << 10, G_GUINT64_CONSTANT (1) << 30, 64 << 20, flags);
  properties[PROP_PING_INTERVAL] =
    g_param_spec_uint ("ping-interval", "Ping interval",
                       N_("Seconds between WebSocket pings to Lingma, from 1 to 300."),
                       1, 300, 15, flags);
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", "Keep-alive interval",
                       N_("Seconds between keep-alives on idle SSE streams, from 1 to 60."),
                       1, 60, 15, flags);
  properties[PROP_DEBUG_REQUESTS] =
    g_param_spec_boolean ("debug-requests", "Debug requests",
                          N_("Serve recorded requests on /debug/requests to local clients; a bare flag means true."),
                          FALSE, flags);
  properties[PROP_STORE_MAX_RECORDS] =
    g_param_spec_uint ("store-max-records", "Stored requests",
                       N_("Request records kept, from 1 to 100000."),
                       1, 100000, 500, flags);
  properties[PROP_STORE_MAX_BYTES] =
    g_param_spec_uint64 ("store-max-bytes", "Store size",
                         N_("Bytes of request records kept, from 1 MiB to 4 GiB."),
                         1 << 20, G_GUINT64_CONSTANT (4) << 30, 256 << 20, flags);
  properties[PROP_IMAGE_DIR] =
    g_param_spec_string ("image-dir", "Image directory",
                         N_("The only directory local image paths may name; empty refuses them."),
                         "", flags);
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", "API key",
                         N_("Key clients must send; empty accepts any client."),
                         "", flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_config_init (LpConfig *self)
{
  config_state_init (&self->state, NULL);
}

LpConfig *
lp_config_new (void)
{
  return g_object_new (LP_TYPE_CONFIG, NULL);
}
