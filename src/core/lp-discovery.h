/* lp-discovery.h
 *
 * Finding Lingma's local IPC endpoint: the configured WebSocket URL, else
 * the SharedClientCache info file Lingma writes (whose pid must still be
 * alive), or on Windows a named pipe. Everything except lp_discover() is
 * pure, so each platform's rules are tested on Linux.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-config.h"

G_BEGIN_DECLS

typedef enum
{
  LP_PLATFORM_LINUX,
  LP_PLATFORM_MACOS,
  LP_PLATFORM_WINDOWS,
} LpPlatform;

/* The platform this binary runs on. */
LpPlatform lp_platform_current (void);

typedef struct
{
  gint64  websocket_port; /* 0 when absent */
  gint64  pid;            /* 0 when absent */
  char   *pipe;           /* ipcServerPath; never NULL after a successful parse */
} LpInfoFile;

void       lp_info_file_clear                (LpInfoFile          *info);

/* JSON ({"websocketPort", "pid", "ipcServerPath"}, other keys ignored) or
 * the legacy lines "port", "pid", optional "pipe". Fails when the content is
 * neither, or names neither a port nor a pipe. */
gboolean   lp_discovery_parse_info           (const char          *contents,
                                              LpInfoFile          *out,
                                              GError             **error);

/* ws:// or wss:// with a host; an empty path becomes "/", the rest is kept. */
char      *lp_discovery_normalize_ws_url     (const char          *url,
                                              GError             **error);
/* Prefixes \\.\pipe\ when missing. */
char      *lp_discovery_normalize_pipe       (const char          *path);
/* Of the entries of \\.\pipe\, the last "lingma-…" in byte order,
 * normalised, or NULL. */
char      *lp_discovery_pick_pipe            (const char * const  *names);

/* (element-type filename): the info files to try, in order. @config_dir is
 * the user configuration directory, or NULL for the platform's usual one
 * (Linux ~/.config, macOS ~/Library/Application Support, Windows
 * @appdata). Any argument may be NULL or "". Base directories are cleaned
 * and de-duplicated, case-insensitively on macOS and Windows. */
GPtrArray *lp_discovery_info_candidates      (LpPlatform           platform,
                                              const char          *home,
                                              const char          *config_dir,
                                              const char          *appdata,
                                              const char          *localappdata,
                                              const char          *programdata);

/* FALSE only when no process @pid exists; a pid we may not signal is alive. */
gboolean   lp_discovery_pid_alive            (gint64               pid);

typedef enum
{
  LP_DISCOVERY_SOURCE_CONFIG,    /* websocket_url / pipe setting */
  LP_DISCOVERY_SOURCE_INFO_FILE,
  LP_DISCOVERY_SOURCE_PIPE_SCAN,
} LpDiscoverySource;

typedef struct
{
  char *path;
  char *reason;
} LpDiscoverySkip;

typedef struct
{
  /*< private >*/
  gatomicrefcount    ref_count;

  /*< public >*/
  LpTransport        transport;   /* WEBSOCKET or PIPE */
  char              *endpoint;    /* ws:// URL or \\.\pipe\ path */
  LpDiscoverySource  source;
  char              *description; /* e.g. "flag --ws-url", "info file /x/.info.json (pid 42)" */
  char              *info_path;   /* the info file used, or NULL */
  gint64             pid;         /* its pid, or 0 */
  GPtrArray         *skipped;     /* (element-type LpDiscoverySkip): info files passed over */
} LpDiscoveryResult;

#define LP_TYPE_DISCOVERY_RESULT (lp_discovery_result_get_type ())
GType              lp_discovery_result_get_type (void);
LpDiscoveryResult *lp_discovery_result_ref      (LpDiscoveryResult   *self);
void               lp_discovery_result_unref    (LpDiscoveryResult   *self);

/* Resolves the endpoint as @platform would. @envp supplies
 * LINGMA_SHARED_CLIENT_INFO (the only info file when set), HOME (USERPROFILE
 * on Windows), XDG_CONFIG_HOME, APPDATA, LOCALAPPDATA and ProgramData;
 * LINGMA_PROXY_WS_URL and LINGMA_IPC_PIPE reach it through @config.
 * @pipe_names are the entries of \\.\pipe\ (Windows only). Reads local
 * files synchronously; they are tiny. */
LpDiscoveryResult *lp_discover_for_platform     (LpConfig            *config,
                                                 LpPlatform           platform,
                                                 const char * const  *envp,
                                                 const char * const  *pipe_names,
                                                 GError             **error);
/* lp_discover_for_platform() for the running platform. */
LpDiscoveryResult *lp_discover                  (LpConfig            *config,
                                                 const char * const  *envp,
                                                 GError             **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LpInfoFile, lp_info_file_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpDiscoveryResult, lp_discovery_result_unref)

G_END_DECLS
