/* test-discovery.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lp-discovery.h"
#include "lp-error.h"
#include "test-home.h"

#define PIPE_BF0F32 "\\\\.\\pipe\\lingma-bf0f32"

/* A temporary directory that is the cwd and holds HOME, so only the info
 * files a test writes exist. */
static LpConfig *
load_config (const char * const *argv,
             const char * const *envp)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (lp_config_load (config, argv, envp, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&config);
}

/* A pid no process has: a child that has exited and been reaped. */
static gint64
dead_pid (void)
{
  pid_t pid = fork ();
  int status;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  return pid;
}

static void
test_parse_info_json (void)
{
  g_auto(LpInfoFile) info = { 0 };
  g_autoptr(GError) error = NULL;

  /* Upstream's example, unknown "isDev" included. */
  g_assert_true (lp_discovery_parse_info ("{\"websocketPort\":36510,\"pid\":14060,"
                                          "\"ipcServerPath\":\"\\\\\\\\.\\\\pipe\\\\lingma-bf0f32\","
                                          "\"isDev\":false}",
                                          &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 36510);
  g_assert_cmpint (info.pid, ==, 14060);
  g_assert_cmpstr (info.pipe, ==, PIPE_BF0F32);

  /* Parsing again replaces the old values. */
  g_assert_true (lp_discovery_parse_info ("  {\"ipcServerPath\": \"\\\\\\\\.\\\\pipe\\\\lingma-x\","
                                          " \"websocketPort\": null}\n", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 0);
  g_assert_cmpint (info.pid, ==, 0);
  g_assert_cmpstr (info.pipe, ==, "\\\\.\\pipe\\lingma-x");
}

static void
test_parse_info_legacy (void)
{
  g_auto(LpInfoFile) info = { 0 };
  g_autoptr(GError) error = NULL;

  /* Upstream's example, with its trailing newline. */
  g_assert_true (lp_discovery_parse_info ("36510\n14060\n" PIPE_BF0F32 "\n", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 36510);
  g_assert_cmpint (info.pid, ==, 14060);
  g_assert_cmpstr (info.pipe, ==, PIPE_BF0F32);

  g_assert_true (lp_discovery_parse_info ("\r\n 36511 \r\n\r\n 42\r\n", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 36511);
  g_assert_cmpint (info.pid, ==, 42);
  g_assert_cmpstr (info.pipe, ==, "");

  g_assert_true (lp_discovery_parse_info ("36512", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 36512);
  g_assert_cmpint (info.pid, ==, 0);

  /* No port, but a pipe: still usable on Windows. */
  g_assert_true (lp_discovery_parse_info ("0\n7\nlingma-p\n", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.websocket_port, ==, 0);
  g_assert_cmpstr (info.pipe, ==, "lingma-p");
}

static void
test_parse_info_invalid (void)
{
  static const struct
  {
    const char *contents;
    const char *message;
  } cases[] = {
    { "", "the first line is not a port number" },
    { "  \n\n", "the first line is not a port number" },
    { "abc\n1\n", "the first line is not a port number" },
    { "36510\nxyz\n", "the second line is not a process id" },
    { "36510\n-3\n", "the second line is not a process id" },
    { "70000\n1\n", "websocketPort 70000 is out of range" },
    { "0\n1\n", "names neither a websocketPort nor an ipcServerPath" },
    { "-1\n", "names neither a websocketPort nor an ipcServerPath" },
    { "{\"websocketPort\": 0, \"pid\": 1}", "names neither a websocketPort nor an ipcServerPath" },
    { "{\"isDev\": true}", "names neither a websocketPort nor an ipcServerPath" },
    { "{\"websocketPort\": \"36510\"}", "websocketPort is not an integer" },
    { "{\"websocketPort\": 36510.5}", "websocketPort is not an integer" },
    { "{\"websocketPort\": 70000}", "websocketPort 70000 is out of range" },
    { "{\"websocketPort\": 1, \"pid\": \"x\"}", "pid is not an integer" },
    { "{\"websocketPort\": 1, \"pid\": -5}", "pid -5 is invalid" },
    { "{\"websocketPort\": 1, \"ipcServerPath\": 5}", "ipcServerPath is not a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(LpInfoFile) info = { 0 };
      g_autoptr(GError) error = NULL;
      g_autofree char *escaped = g_strescape (cases[i].contents, NULL);

      g_test_message ("case %u: %s", i, escaped);
      g_assert_false (lp_discovery_parse_info (cases[i].contents, &info, &error));
      g_assert_error (error, LP_ERROR, LP_ERROR_PROTOCOL);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_null (info.pipe);
      g_assert_cmpint (info.websocket_port, ==, 0);
    }

  {
    g_auto(LpInfoFile) info = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_false (lp_discovery_parse_info ("{\"websocketPort\": ", &info, &error));
    g_assert_error (error, LP_ERROR, LP_ERROR_PROTOCOL);
    g_assert_true (g_str_has_prefix (error->message, "not valid JSON: "));
  }
}

static void
test_normalize_ws_url (void)
{
  static const struct
  {
    const char *in;
    const char *out;
  } good[] = {
    { "ws://127.0.0.1:36510", "ws://127.0.0.1:36510/" },
    { "ws://127.0.0.1:36510/", "ws://127.0.0.1:36510/" },
    { "wss://example.com", "wss://example.com/" },
    { "ws://h:1?x=1&y=2", "ws://h:1/?x=1&y=2" },
    { "WS://Host:1/p%20q?a=b", "ws://Host:1/p%20q?a=b" },
    { " ws://[::1]:5 ", "ws://[::1]:5/" },
    { "ws://user@h/path/", "ws://user@h/path/" },
  };
  static const struct
  {
    const char *in;
    const char *message;
  } bad[] = {
    { "", "\"\" is not an absolute URL" },
    { "127.0.0.1:36510", "\"127.0.0.1:36510\" is not an absolute URL" },
    { "ws://h:99999/", "\"ws://h:99999/\" is not an absolute URL" },
    { "http://127.0.0.1:36510/", "\"http://127.0.0.1:36510/\" is not a ws:// or wss:// URL" },
    { "file:///tmp/x", "\"file:///tmp/x\" is not a ws:// or wss:// URL" },
    { "ws://", "\"ws://\" has no host" },
    { "ws:///path", "\"ws:///path\" has no host" },
    { "wss:x", "\"wss:x\" has no host" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = lp_discovery_normalize_ws_url (good[i].in, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (url, ==, good[i].out);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = lp_discovery_normalize_ws_url (bad[i].in, &error);

      g_assert_null (url);
      g_assert_error (error, LP_ERROR, LP_ERROR_CONFIG);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }
}

static void
test_pipes (void)
{
  static const char * const names[] = {
    "other", "lingma-a", "lingma-c", "Lingma-z", "lingma-b", "xlingma-z", NULL
  };
  static const char * const none[] = { "other", "LINGMA-x", NULL };
  static const char * const empty[] = { NULL };
  g_autofree char *plain = lp_discovery_normalize_pipe ("lingma-abc");
  g_autofree char *prefixed = lp_discovery_normalize_pipe ("\\\\.\\pipe\\lingma-abc");
  g_autofree char *upper = lp_discovery_normalize_pipe ("\\\\.\\PIPE\\lingma-abc");
  g_autofree char *picked = lp_discovery_pick_pipe (names);
  g_autofree char *picked_none = lp_discovery_pick_pipe (none);
  g_autofree char *picked_empty = lp_discovery_pick_pipe (empty);
  g_autofree char *picked_null = lp_discovery_pick_pipe (NULL);

  g_assert_cmpstr (plain, ==, "\\\\.\\pipe\\lingma-abc");
  g_assert_cmpstr (prefixed, ==, "\\\\.\\pipe\\lingma-abc");
  g_assert_cmpstr (upper, ==, "\\\\.\\PIPE\\lingma-abc");
  g_assert_cmpstr (picked, ==, "\\\\.\\pipe\\lingma-c");
  g_assert_null (picked_none);
  g_assert_null (picked_empty);
  g_assert_null (picked_null);
}

static void
assert_candidates (GPtrArray          *candidates,
                   const char * const *bases,
                   const char         *sep)
{
  static const char * const dirs[] = {
    "Lingma/SharedClientCache", "Lingma/sharedClientCache", "SharedClientCache", "sharedClientCache",
  };
  static const char * const files[] = { ".info.json", ".info" };
  guint n = 0;

  for (guint b = 0; bases[b] != NULL; b++)
    {
      for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
        {
          for (guint f = 0; f < G_N_ELEMENTS (files); f++)
            {
              g_autofree char *expected = g_strconcat (bases[b], sep, dirs[d], sep, files[f], NULL);

              if (g_str_equal (sep, "\\"))
                g_strdelimit (expected, "/", '\\');
              g_assert_cmpuint (n, <, candidates->len);
              g_assert_cmpstr (g_ptr_array_index (candidates, n), ==, expected);
              n++;
            }
        }
    }

  g_assert_cmpuint (candidates->len, ==, n);
}

static void
test_candidates_linux (void)
{
  const char * const plain[] = { "/home/u/.config", "/home/u/.lingma/vscode", "/home/u/.lingma", NULL };
  const char * const xdg[] = {
    "/xdg/conf", "/home/u/.lingma/vscode", "/home/u/.lingma", "/home/u/.Lingma", "/srv/appdata", NULL
  };
  const char * const same[] = { "/home/u/.lingma", "/home/u/.lingma/vscode", NULL };
  g_autoptr(GPtrArray) a = lp_discovery_info_candidates (LP_PLATFORM_LINUX, "/home/u", NULL, NULL, NULL, NULL);
  g_autoptr(GPtrArray) b = lp_discovery_info_candidates (LP_PLATFORM_LINUX, "/home/u/", "//xdg/./conf/sub/../",
                                                         "/home/u/.Lingma", "", "/srv/appdata/");
  g_autoptr(GPtrArray) c = lp_discovery_info_candidates (LP_PLATFORM_LINUX, "/home//u", "/home/u/.lingma/",
                                                         NULL, NULL, "/home/u/.lingma/vscode");
  g_autoptr(GPtrArray) d = lp_discovery_info_candidates (LP_PLATFORM_LINUX, NULL, NULL, NULL, "", NULL);

  g_assert_cmpstr (g_ptr_array_index (a, 0), ==, "/home/u/.config/Lingma/SharedClientCache/.info.json");
  g_assert_cmpstr (g_ptr_array_index (a, 1), ==, "/home/u/.config/Lingma/SharedClientCache/.info");
  assert_candidates (a, plain, "/");
  /* Linux compares case-sensitively: .Lingma is another directory. */
  assert_candidates (b, xdg, "/");
  assert_candidates (c, same, "/");
  g_assert_cmpuint (d->len, ==, 0);
}

static void
test_candidates_macos (void)
{
  const char * const plain[] = {
    "/Users/u/Library/Application Support", "/Users/u/.lingma/vscode", "/Users/u/.lingma", NULL
  };
  const char * const folded[] = { "/Users/u/.LINGMA", "/Users/u/.lingma/vscode", NULL };
  g_autoptr(GPtrArray) a = lp_discovery_info_candidates (LP_PLATFORM_MACOS, "/Users/u", NULL, NULL, NULL, NULL);
  g_autoptr(GPtrArray) b = lp_discovery_info_candidates (LP_PLATFORM_MACOS, "/Users/u", "/Users/u/.LINGMA",
                                                         NULL, NULL, "/users/U/.lingma/VSCode/");

  assert_candidates (a, plain, "/");
  assert_candidates (b, folded, "/");
}

static void
test_candidates_windows (void)
{
  const char * const all[] = {
    "C:\\Users\\u\\AppData\\Roaming", "C:\\Users\\u\\.lingma\\vscode", "C:\\Users\\u\\.lingma",
    "C:\\Users\\u\\AppData\\Local", "C:\\ProgramData", NULL
  };
  const char * const folded[] = {
    "C:\\Users\\u\\AppData\\Roaming", "C:\\Users\\u\\.lingma\\vscode", "C:\\Users\\u\\.lingma",
    "\\\\server\\share\\data", NULL
  };
  g_autoptr(GPtrArray) a = lp_discovery_info_candidates (LP_PLATFORM_WINDOWS, "C:\\Users\\u", NULL,
                                                         "C:\\Users\\u\\AppData\\Roaming",
                                                         "C:\\Users\\u\\AppData\\Local",
                                                         "C:\\ProgramData");
  g_autoptr(GPtrArray) b = lp_discovery_info_candidates (LP_PLATFORM_WINDOWS, "C:/Users/u/", NULL,
                                                         "C:\\Users\\u\\AppData\\Roaming\\",
                                                         "c:/users/u/appdata/roaming",
                                                         "\\\\server\\share\\data\\.");

  g_assert_cmpstr (g_ptr_array_index (a, 0), ==, "C:\\Users\\u\\AppData\\Roaming\\Lingma\\SharedClientCache\\.info.json");
  assert_candidates (a, all, "\\");
  assert_candidates (b, folded, "\\");
}

static void
test_pid_alive (void)
{
  g_assert_true (lp_discovery_pid_alive (getpid ()));
  /* init exists; another user's process answers EPERM, which is alive. */
  g_assert_true (lp_discovery_pid_alive (1));
  g_assert_false (lp_discovery_pid_alive (dead_pid ()));
  g_assert_false (lp_discovery_pid_alive (G_GINT64_CONSTANT (1) << 40));
}

static void
test_precedence (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *contents = g_strdup_printf ("{\"websocketPort\": 36510, \"pid\": %d}", (int) getpid ());
  g_autofree char *info = write_home_file (fixture, ".lingma/SharedClientCache/.info.json", contents);
  g_autofree char *info_description = g_strdup_printf ("info file %s (pid %d)", info, (int) getpid ());
  const char *argv_flag[] = { "lingma-ipc-proxy", "--ws-url", "ws://flag:1", NULL };
  const char *argv_none[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) env_url = make_env (fixture, "LINGMA_PROXY_WS_URL=ws://env:2", NULL);
  g_auto(GStrv) env_plain = make_env (fixture, NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(LpConfig) config = load_config (argv_flag, (const char * const *) env_url);
    g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) env_url, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_WEBSOCKET);
    g_assert_cmpstr (result->endpoint, ==, "ws://flag:1/");
    g_assert_cmpint (result->source, ==, LP_DISCOVERY_SOURCE_CONFIG);
    g_assert_cmpstr (result->description, ==, "flag --ws-url");
    g_assert_null (result->info_path);
    g_assert_cmpint (result->pid, ==, 0);
  }

  {
    g_autoptr(LpConfig) config = load_config (argv_none, (const char * const *) env_url);
    g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) env_url, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (result->endpoint, ==, "ws://env:2/");
    g_assert_cmpstr (result->description, ==, "environment LINGMA_PROXY_WS_URL");
  }

  {
    g_autoptr(LpConfig) config = load_config (argv_none, (const char * const *) env_plain);
    g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) env_plain, &error);
    g_autoptr(LpDiscoveryResult) copy = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_WEBSOCKET);
    g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:36510/");
    g_assert_cmpint (result->source, ==, LP_DISCOVERY_SOURCE_INFO_FILE);
    g_assert_cmpstr (result->description, ==, info_description);
    g_assert_cmpstr (result->info_path, ==, info);
    g_assert_cmpint (result->pid, ==, getpid ());
    g_assert_cmpuint (result->skipped->len, ==, 0);

    /* A boxed type, so it can travel in properties and signals. */
    copy = g_boxed_copy (LP_TYPE_DISCOVERY_RESULT, result);
    g_assert_true (copy == result);
  }
}

static void
test_shared_client_info (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *home_info = write_home_file (fixture, ".lingma/SharedClientCache/.info", "36510\n");
  g_autofree char *other = g_build_filename (fixture->dir, "elsewhere.info", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.info", NULL);
  g_autofree char *other_description = g_strdup_printf ("info file %s", other);
  g_autofree char *env_other = g_strdup_printf ("LINGMA_SHARED_CLIENT_INFO=%s", other);
  g_autofree char *env_missing = g_strdup_printf ("LINGMA_SHARED_CLIENT_INFO=%s", missing);
  g_autofree char *expected_error = g_strdup_printf ("no Lingma shared client cache info file was found "
                                                     "(looked in: %s)", missing);
  const char *argv[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) envp_other = make_env (fixture, env_other, NULL);
  g_auto(GStrv) envp_missing = make_env (fixture, env_missing, NULL);
  g_autoptr(LpConfig) config = load_config (argv, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_test (home_info, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_set_contents (other, "{\"websocketPort\": 40000}", -1, NULL));

  {
    g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) envp_other, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:40000/");
    g_assert_cmpstr (result->info_path, ==, other);
    g_assert_cmpint (result->pid, ==, 0);
    g_assert_cmpstr (result->description, ==, other_description);
  }

  {
    /* Set, it is the only path: the file under HOME is not consulted. */
    g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) envp_missing, &error);

    g_assert_null (result);
    g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
    g_assert_cmpstr (error->message, ==, expected_error);
  }
}

/* Inside Flatpak: the host's config dir, and no pid check (other pid
 * namespace). */
static void
test_flatpak (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *contents = g_strdup_printf ("{\"websocketPort\": 3333, \"pid\": %" G_GINT64_FORMAT "}",
                                               dead_pid ());
  g_autofree char *host_config = g_build_filename (fixture->home, "host-config", NULL);
  g_autofree char *app_config = g_build_filename (fixture->home, ".var/app/x/config", NULL);
  g_autofree char *info = write_home_file (fixture, "host-config/Lingma/SharedClientCache/.info.json", contents);
  g_autofree char *host_xdg = g_strdup_printf ("HOST_XDG_CONFIG_HOME=%s", host_config);
  g_autofree char *app_xdg = g_strdup_printf ("XDG_CONFIG_HOME=%s", app_config);
  const char *argv[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) sandbox = make_env (fixture, "FLATPAK_ID=io.github.LingmaIpcProxy", host_xdg, app_xdg, NULL);
  g_auto(GStrv) host = make_env (fixture, host_xdg + 5, NULL);
  g_autoptr(LpConfig) config = load_config (argv, (const char * const *) host);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpDiscoveryResult) found = lp_discover (config, (const char * const *) sandbox, &error);
  g_autoptr(LpDiscoveryResult) skipped = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (found->endpoint, ==, "ws://127.0.0.1:3333/");
  g_assert_cmpstr (found->info_path, ==, info);

  /* The same file on the host, where the pid can be checked: it is dead. */
  skipped = lp_discover (config, (const char * const *) host, &error);
  g_assert_null (skipped);
  g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
}

static void
test_dead_pid_skipped (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *dead_contents = g_strdup_printf ("{\"websocketPort\": 1111, \"pid\": %" G_GINT64_FORMAT "}",
                                                    dead_pid ());
  g_autofree char *live_contents = g_strdup_printf ("2222\n%d\n", (int) getpid ());
  g_autofree char *dead = write_home_file (fixture, ".config/Lingma/SharedClientCache/.info.json", dead_contents);
  g_autofree char *garbage = write_home_file (fixture, ".lingma/vscode/SharedClientCache/.info.json", "{oops");
  g_autofree char *live = write_home_file (fixture, ".lingma/sharedClientCache/.info", live_contents);
  const char *argv[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) envp = make_env (fixture, NULL);
  g_autoptr(LpConfig) config = load_config (argv, (const char * const *) envp);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) envp, &error);
  LpDiscoverySkip *skip;
  g_autofree char *dead_reason = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:2222/");
  g_assert_cmpstr (result->info_path, ==, live);
  g_assert_cmpint (result->pid, ==, getpid ());

  g_assert_cmpuint (result->skipped->len, ==, 2);
  skip = g_ptr_array_index (result->skipped, 0);
  g_assert_cmpstr (skip->path, ==, dead);
  g_assert_true (g_str_has_prefix (skip->reason, "Lingma process "));
  g_assert_true (g_str_has_suffix (skip->reason, " is not running"));
  dead_reason = g_strdup (skip->reason);
  skip = g_ptr_array_index (result->skipped, 1);
  g_assert_cmpstr (skip->path, ==, garbage);
  g_assert_true (g_str_has_prefix (skip->reason, "not valid JSON: "));

  /* Only bad files left: the error lists each with its reason. */
  g_assert_cmpint (g_remove (live), ==, 0);
  g_assert_cmpint (g_remove (garbage), ==, 0);
  {
    g_autoptr(LpDiscoveryResult) none = lp_discover (config, (const char * const *) envp, &error);
    g_autofree char *expected = g_strdup_printf ("no usable Lingma shared client cache info file: %s: %s",
                                                 dead, dead_reason);

    g_assert_null (none);
    g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
    g_assert_cmpstr (error->message, ==, expected);
  }
}

static void
test_nothing_found (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *argv[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) envp = make_env (fixture, NULL);
  g_autoptr(LpConfig) config = load_config (argv, (const char * const *) envp);
  g_autoptr(GPtrArray) candidates = lp_discovery_info_candidates (LP_PLATFORM_LINUX, fixture->home,
                                                                  NULL, NULL, NULL, NULL);
  g_autoptr(GString) expected = g_string_new ("no Lingma shared client cache info file was found (looked in: ");
  g_autoptr(GError) error = NULL;
  g_autoptr(LpDiscoveryResult) result = lp_discover (config, (const char * const *) envp, &error);

  for (guint i = 0; i < candidates->len; i++)
    g_string_append_printf (expected, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (candidates, i));
  g_string_append_c (expected, ')');

  g_assert_cmpuint (candidates->len, ==, 24);
  g_assert_null (result);
  g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, expected->str);
}

static void
test_transport_rules (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *info = write_home_file (fixture, ".lingma/SharedClientCache/.info.json",
                                           "{\"ipcServerPath\": \"lingma-only\"}");
  g_autofree char *expected = g_strdup_printf ("no usable Lingma shared client cache info file: %s: "
                                               "names no websocketPort", info);
  const char *argv_pipe[] = { "lingma-ipc-proxy", "--transport", "pipe", NULL };
  const char *argv_ws[] = { "lingma-ipc-proxy", "--transport", "websocket", NULL };
  g_auto(GStrv) envp = make_env (fixture, NULL);
  g_autoptr(LpConfig) pipe_config = load_config (argv_pipe, (const char * const *) envp);
  g_autoptr(LpConfig) ws_config = load_config (argv_ws, (const char * const *) envp);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (pipe_config, LP_PLATFORM_LINUX,
                                                                    (const char * const *) envp, NULL, &error);

    g_assert_null (result);
    g_assert_error (error, LP_ERROR, LP_ERROR_CONFIG);
    g_assert_cmpstr (error->message, ==, "Lingma pipe transport currently requires Windows");
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (pipe_config, LP_PLATFORM_MACOS,
                                                                    (const char * const *) envp, NULL, &error);

    g_assert_null (result);
    g_assert_error (error, LP_ERROR, LP_ERROR_CONFIG);
  }

  {
    /* A pipe-only info file is no WebSocket endpoint. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover (ws_config, (const char * const *) envp, &error);

    g_assert_null (result);
    g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
    g_assert_cmpstr (error->message, ==, expected);
  }
}

static void
test_windows (Fixture       *fixture,
              gconstpointer  data)
{
  /* Windows paths cannot be opened here, so the info file comes through
   * LINGMA_SHARED_CLIENT_INFO, which is used as given. */
  g_autofree char *info = g_build_filename (fixture->dir, "win.info", NULL);
  g_autofree char *env_info = g_strdup_printf ("LINGMA_SHARED_CLIENT_INFO=%s", info);
  g_auto(GStrv) envp = make_env (fixture, env_info, NULL);
  static const char * const pipes[] = { "lingma-a", "lingma-b", "other", NULL };
  const char *argv_auto[] = { "lingma-ipc-proxy", NULL };
  const char *argv_pipe[] = { "lingma-ipc-proxy", "--pipe", "lingma-set", NULL };
  const char *argv_ws[] = { "lingma-ipc-proxy", "--transport=ws", NULL };
  const char *argv_url[] = { "lingma-ipc-proxy", "--ws-url", "ws://127.0.0.1:9/", NULL };
  g_autoptr(LpConfig) auto_config = load_config (argv_auto, NULL);
  g_autoptr(LpConfig) pipe_config = load_config (argv_pipe, NULL);
  g_autoptr(LpConfig) ws_config = load_config (argv_ws, NULL);
  g_autoptr(LpConfig) url_config = load_config (argv_url, NULL);
  g_autofree char *live = g_strdup_printf ("{\"websocketPort\": 36510, \"pid\": %d, "
                                           "\"ipcServerPath\": \"\\\\\\\\.\\\\pipe\\\\lingma-info\"}",
                                           (int) getpid ());

  {
    /* An explicit URL wins even in auto. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (url_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, pipes, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_WEBSOCKET);
    g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:9/");
  }

  {
    /* A configured pipe comes next... */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (pipe_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, pipes, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_PIPE);
    g_assert_cmpstr (result->endpoint, ==, "\\\\.\\pipe\\lingma-set");
    g_assert_cmpint (result->source, ==, LP_DISCOVERY_SOURCE_CONFIG);
    g_assert_cmpstr (result->description, ==, "flag --pipe");
  }

  {
    /* ...then the scan, when there is no info file... */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (auto_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, pipes, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_PIPE);
    g_assert_cmpstr (result->endpoint, ==, "\\\\.\\pipe\\lingma-b");
    g_assert_cmpint (result->source, ==, LP_DISCOVERY_SOURCE_PIPE_SCAN);
  }

  {
    /* ...and nothing at all names both causes. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (auto_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, NULL, &error);
    g_autofree char *expected = g_strdup_printf ("no Lingma endpoint was found: pipe: no active Lingma named "
                                                 "pipe was found; websocket: no Lingma shared client cache "
                                                 "info file was found (looked in: %s)", info);

    g_assert_null (result);
    g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
    g_assert_cmpstr (error->message, ==, expected);
  }

  g_assert_true (g_file_set_contents (info, live, -1, NULL));

  {
    /* The info file's pipe beats the scan. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (auto_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, pipes, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_PIPE);
    g_assert_cmpstr (result->endpoint, ==, "\\\\.\\pipe\\lingma-info");
    g_assert_cmpint (result->source, ==, LP_DISCOVERY_SOURCE_INFO_FILE);
    g_assert_cmpstr (result->info_path, ==, info);
  }

  {
    /* websocket transport ignores pipes. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (ws_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, pipes, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_WEBSOCKET);
    g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:36510/");
  }

  g_assert_true (g_file_set_contents (info, "36511\n", -1, NULL));

  {
    /* No pipe anywhere: auto falls back to the info file's port, and the
     * file is not reported as skipped since it was used. */
    g_autoptr(GError) error = NULL;
    g_autoptr(LpDiscoveryResult) result = lp_discover_for_platform (auto_config, LP_PLATFORM_WINDOWS,
                                                                    (const char * const *) envp, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (result->transport, ==, LP_TRANSPORT_WEBSOCKET);
    g_assert_cmpstr (result->endpoint, ==, "ws://127.0.0.1:36511/");
    g_assert_cmpuint (result->skipped->len, ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/discovery/parse-info/json", test_parse_info_json);
  g_test_add_func ("/discovery/parse-info/legacy", test_parse_info_legacy);
  g_test_add_func ("/discovery/parse-info/invalid", test_parse_info_invalid);
  g_test_add_func ("/discovery/normalize-ws-url", test_normalize_ws_url);
  g_test_add_func ("/discovery/pipes", test_pipes);
  g_test_add_func ("/discovery/candidates/linux", test_candidates_linux);
  g_test_add_func ("/discovery/candidates/macos", test_candidates_macos);
  g_test_add_func ("/discovery/candidates/windows", test_candidates_windows);
  g_test_add_func ("/discovery/pid-alive", test_pid_alive);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/discovery/flatpak", test_flatpak);
  ADD ("/discovery/precedence", test_precedence);
  ADD ("/discovery/shared-client-info", test_shared_client_info);
  ADD ("/discovery/dead-pid-skipped", test_dead_pid_skipped);
  ADD ("/discovery/nothing-found", test_nothing_found);
  ADD ("/discovery/transport-rules", test_transport_rules);
  ADD ("/discovery/windows", test_windows);
#undef ADD

  return g_test_run ();
}
