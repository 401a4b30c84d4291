/* main.c
 *
 * lingma-ipc-proxy: the headless shell around LpProxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-ipc-proxy"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "lp-discovery.h"
#include "lp-proxy.h"

#define EXIT_CONFIG 2

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_ipc_state (LpIpcClient *client,
              GParamSpec  *pspec,
              LpBackend   *backend)
{
  /* Reconnection retries would otherwise repeat the advice every time. */
  static gboolean outage_reported;
  const char *source = lp_backend_get_endpoint_source (backend);

  switch (lp_ipc_client_get_state (client))
    {
    case LP_IPC_STATE_CONNECTED:
      outage_reported = FALSE;
      g_printerr (_("Connected to Lingma at %s (found via %s)\n"),
                  lp_ipc_client_get_url (client), source ? source : _("unknown"));
      break;

    case LP_IPC_STATE_FAILED:
      if (outage_reported)
        break;
      outage_reported = TRUE;
      g_printerr (_("Lingma is not reachable: %s\n"
                    "  Start the Lingma plugin (JetBrains) or the Lingma desktop runtime, or run the\n"
                    "  simulator for a demo: lingma-sim --port 36510, then pass --ws-url ws://127.0.0.1:36510/\n"
                    "  The proxy keeps retrying in the background.\n"),
                  lp_ipc_client_get_last_error (client));
      break;

    case LP_IPC_STATE_DISCONNECTED:
    case LP_IPC_STATE_CONNECTING:
    default:
      break;
    }
}

/* --discover: says where Lingma would be found, for scripts and people. */
static int
run_discover (LpConfig *config)
{
  g_auto(GStrv) environment = g_get_environ ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) environment, &error);

  if (result == NULL)
    {
      g_print (_("not found: %s\n"), error->message);
      return 1;
    }

  /* Translators: the WebSocket URL, then where it was found. */
  g_print (_("%s (from %s)\n"), result->endpoint, result->description);
  return 0;
}

static gboolean
has_flag (int         argc,
          char      **argv,
          const char *flag)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], flag))
      return TRUE;

  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(LpConfig) config = NULL;
  g_autoptr(LpProxy) proxy = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_auto(GStrv) environment = g_get_environ ();
  gboolean discover;
  LpBackend *backend;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (has_flag (argc, argv, "--help") || has_flag (argc, argv, "-h"))
    {
      g_autofree char *help = lp_config_help_text ();
      g_print ("%s\n\n%s\n\n%s\n  --discover   %s\n  --version    %s\n",
               _("Usage: lingma-ipc-proxy [OPTION…]"),
               _("Serves Tongyi Lingma's local IPC as OpenAI and Anthropic HTTP APIs."),
               help,
               _("print where Lingma would be found, then exit (1 if nowhere)"),
               _("print the version, then exit"));
      return 0;
    }

  if (has_flag (argc, argv, "--version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }

  discover = has_flag (argc, argv, "--discover");
  for (int i = 0; i < argc; i++)
    if (!g_str_equal (argv[i], "--discover"))
      g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);

  config = lp_config_new ();
  if (!lp_config_load (config, (const char * const *) args->pdata,
                       (const char * const *) environment, &error))
    {
      g_printerr ("lingma-ipc-proxy: %s\n", error->message);
      return EXIT_CONFIG;
    }

  if (discover)
    return run_discover (config);

  proxy = lp_proxy_new (config);
  backend = lp_proxy_get_backend (proxy);
  g_signal_connect_object (lp_backend_get_client (backend), "notify::state",
                           G_CALLBACK (on_ipc_state), backend, 0);

  if (!lp_proxy_start (proxy, &error))
    {
      g_printerr ("lingma-ipc-proxy: %s\n", error->message);
      return 1;
    }

  /* Not translated: scripts and the test harness read the address from this line. */
  g_print ("lingma-ipc-proxy listening on %s\n", lp_proxy_get_base_url (proxy));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_main_loop_run (loop);

  lp_proxy_stop (proxy);
  g_printerr (_("lingma-ipc-proxy stopped\n"));

  return 0;
}
