/* lp-config.h
 *
 * The proxy's settings: one GObject property per key, loaded in one call
 * from built-in defaults < a JSON config file < environment variables <
 * command-line flags. Every value is validated; a bad one fails the whole
 * load with a one-line LP_ERROR_CONFIG message naming the key, the value,
 * where it came from and what is accepted. The object remembers where each
 * value came from, for the UI and /health.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  LP_TRANSPORT_AUTO,
  LP_TRANSPORT_WEBSOCKET,
  LP_TRANSPORT_PIPE,
} LpTransport;

/* Lingma's "ai-coding/mode" meta value. */
typedef enum
{
  LP_MODE_AGENT,
  LP_MODE_CHAT,
} LpMode;

typedef enum
{
  LP_SESSION_MODE_AUTO,
  LP_SESSION_MODE_FRESH,
  LP_SESSION_MODE_REUSE,
} LpSessionMode;

#define LP_TYPE_TRANSPORT (lp_transport_get_type ())
GType       lp_transport_get_type       (void);
const char *lp_transport_to_string      (LpTransport   transport);

#define LP_TYPE_MODE (lp_mode_get_type ())
GType       lp_mode_get_type            (void);
const char *lp_mode_to_string           (LpMode        mode);

#define LP_TYPE_SESSION_MODE (lp_session_mode_get_type ())
GType       lp_session_mode_get_type    (void);
const char *lp_session_mode_to_string   (LpSessionMode mode);

#define LP_TYPE_CONFIG (lp_config_get_type ())
G_DECLARE_FINAL_TYPE (LpConfig, lp_config, LP, CONFIG, GObject)

/* Holds the defaults: cwd is the process's current directory and
 * shell_type "bash" (lp_config_load() derives it from SHELL). Properties
 * are named like the file keys with '-' for '_' ("websocket-url"); setting
 * one that changes the value notifies and marks its source "settings". */
LpConfig    *lp_config_new                    (void);

/* Replaces every value: defaults, then the config file, then @envp, then
 * the flags in @argv. @argv starts with the program name and is
 * NULL-terminated; @envp is a NULL-terminated "NAME=VALUE" list (NULL: no
 * environment), so callers and tests decide what is seen.
 *
 * The file is the one named by --config FILE / --config=FILE, else
 * LINGMA_PROXY_CONFIG, else ./lingma-ipc-proxy.json if it exists, else
 * $XDG_CONFIG_HOME/lingma-ipc-proxy/config.json (or $HOME/.config/…) if it
 * exists. Unknown file keys are ignored. Environment variables that are set
 * but empty count as unset. Flags take "--flag VALUE" or "--flag=VALUE" (a
 * VALUE starting with "--" needs the second form); boolean flags alone mean
 * true and take a value only as "--flag=VALUE".
 * --help, -h and --version are skipped: the CLI acts on them before
 * calling this. --port 0 (from any source) asks for any free port.
 *
 * On error nothing is changed. */
gboolean     lp_config_load                   (LpConfig           *self,
                                               const char * const *argv,
                                               const char * const *envp,
                                               GError            **error);

/* "default", "file PATH", "environment NAME", "flag --NAME" or "settings".
 * @key is a file key ("websocket_url") or property name ("websocket-url");
 * NULL for an unknown key. */
const char  *lp_config_get_source             (LpConfig           *self,
                                               const char         *key);
/* The config file the last successful load read, or NULL. */
const char  *lp_config_get_file_path          (LpConfig           *self);

/* Every key under its file key, api_key masked: for display only. */
JsonNode    *lp_config_to_json                (LpConfig           *self);
/* Writes every key (api_key included) as pretty JSON, mode 0600, creating
 * missing parent directories with mode 0700. */
gboolean     lp_config_save                   (LpConfig           *self,
                                               const char         *path,
                                               GError            **error);
/* The settings part of --help: every flag with its file key, environment
 * variable and default. The CLI adds the usage line and its own flags. */
char        *lp_config_help_text              (void);

const char  *lp_config_get_host               (LpConfig           *self);
/* 0 means "any free port". */
guint        lp_config_get_port               (LpConfig           *self);
LpTransport  lp_config_get_transport          (LpConfig           *self);
/* "" or a normalised ws:// / wss:// URL. */
const char  *lp_config_get_websocket_url      (LpConfig           *self);
const char  *lp_config_get_pipe               (LpConfig           *self);
LpMode       lp_config_get_mode               (LpConfig           *self);
const char  *lp_config_get_shell_type         (LpConfig           *self);
LpSessionMode lp_config_get_session_mode      (LpConfig           *self);
guint        lp_config_get_timeout            (LpConfig           *self);
/* Always an absolute path. */
const char  *lp_config_get_cwd                (LpConfig           *self);
const char  *lp_config_get_current_file_path  (LpConfig           *self);
/* "" lets Lingma pick. */
const char  *lp_config_get_model              (LpConfig           *self);
/* (element-type utf8 utf8): alias name → model name. */
GHashTable  *lp_config_get_model_aliases      (LpConfig           *self);
/* The target of alias @name, or @name itself when it is no alias. */
const char  *lp_config_resolve_alias          (LpConfig           *self,
                                               const char         *name);
guint        lp_config_get_max_concurrent     (LpConfig           *self);
guint        lp_config_get_max_queue          (LpConfig           *self);
guint        lp_config_get_queue_timeout      (LpConfig           *self);
guint64      lp_config_get_body_limit         (LpConfig           *self);
guint64      lp_config_get_max_frame_size     (LpConfig           *self);
guint        lp_config_get_ping_interval      (LpConfig           *self);
guint        lp_config_get_keepalive_interval (LpConfig           *self);
gboolean     lp_config_get_debug_requests     (LpConfig           *self);
guint        lp_config_get_store_max_records  (LpConfig           *self);
guint64      lp_config_get_store_max_bytes    (LpConfig           *self);
/* "" (local image paths refused) or an absolute directory. */
const char  *lp_config_get_image_dir          (LpConfig           *self);
/* "" when clients need no key. */
const char  *lp_config_get_api_key            (LpConfig           *self);

G_END_DECLS
