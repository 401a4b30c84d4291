/* test-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lp-config.h"
#include "lp-error.h"
#include "test-home.h"

/* Every test runs in its own empty directory, which is also its cwd and
 * holds its HOME, so no real config file is ever picked up. */
static void
load_ok (LpConfig           *config,
         const char * const *argv,
         const char * const *envp)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (lp_config_load (config, argv, envp, &error));
  g_assert_no_error (error);
}

static void
assert_all_defaults (LpConfig *config)
{
  g_autofree char *cwd = g_get_current_dir ();

  g_assert_cmpstr (lp_config_get_host (config), ==, "127.0.0.1");
  g_assert_cmpuint (lp_config_get_port (config), ==, 8095);
  g_assert_cmpint (lp_config_get_transport (config), ==, LP_TRANSPORT_AUTO);
  g_assert_cmpstr (lp_config_get_websocket_url (config), ==, "");
  g_assert_cmpstr (lp_config_get_pipe (config), ==, "");
  g_assert_cmpint (lp_config_get_mode (config), ==, LP_MODE_AGENT);
  g_assert_cmpstr (lp_config_get_shell_type (config), ==, "bash");
  g_assert_cmpint (lp_config_get_session_mode (config), ==, LP_SESSION_MODE_AUTO);
  g_assert_cmpuint (lp_config_get_timeout (config), ==, 300);
  g_assert_cmpstr (lp_config_get_cwd (config), ==, cwd);
  g_assert_cmpstr (lp_config_get_current_file_path (config), ==, "");
  g_assert_cmpstr (lp_config_get_model (config), ==, "");
  g_assert_cmpuint (g_hash_table_size (lp_config_get_model_aliases (config)), ==, 0);
  g_assert_cmpuint (lp_config_get_max_concurrent (config), ==, 4);
  g_assert_cmpuint (lp_config_get_max_queue (config), ==, 8);
  g_assert_cmpuint (lp_config_get_queue_timeout (config), ==, 30);
  g_assert_cmpuint (lp_config_get_body_limit (config), ==, 67108864);
  g_assert_cmpuint (lp_config_get_max_frame_size (config), ==, 67108864);
  g_assert_cmpuint (lp_config_get_ping_interval (config), ==, 15);
  g_assert_cmpuint (lp_config_get_keepalive_interval (config), ==, 15);
  g_assert_false (lp_config_get_debug_requests (config));
  g_assert_cmpuint (lp_config_get_store_max_records (config), ==, 500);
  g_assert_cmpuint (lp_config_get_store_max_bytes (config), ==, 268435456);
  g_assert_cmpstr (lp_config_get_image_dir (config), ==, "");
  g_assert_cmpstr (lp_config_get_api_key (config), ==, "");
}

static void
test_defaults (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(JsonNode) json = NULL;
  const char *argv[] = { "lingma-ipc-proxy", NULL };
  g_auto(GStrv) envp = make_env (fixture, NULL);
  g_auto(GStrv) zsh_env = make_env (fixture, "SHELL=/usr/bin/zsh", NULL);

  assert_all_defaults (config);
  g_assert_null (lp_config_get_file_path (config));

  load_ok (config, argv, (const char * const *) envp);
  assert_all_defaults (config);
  g_assert_null (lp_config_get_file_path (config));

  json = lp_config_to_json (config);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (json)), ==, 25);
  {
    g_autoptr(GList) members = json_object_get_members (json_node_get_object (json));

    for (const GList *l = members; l != NULL; l = l->next)
      g_assert_cmpstr (lp_config_get_source (config, l->data), ==, "default");
  }

  /* No environment at all is allowed too. */
  load_ok (config, argv, NULL);
  assert_all_defaults (config);

  load_ok (config, argv, (const char * const *) zsh_env);
  g_assert_cmpstr (lp_config_get_shell_type (config), ==, "zsh");
  g_assert_cmpstr (lp_config_get_source (config, "shell_type"), ==, "default");
}

static void
test_precedence (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autofree char *path = write_file (fixture->dir, "x.json",
                                      "{ \"host\": \"10.0.0.1\", \"port\": 1000, \"timeout\": 60,"
                                      "  \"model\": \"m-file\", \"debug_requests\": true,"
                                      "  \"transport\": \"pipe\", \"backend\": \"ipc\" }");
  g_autofree char *config_flag = g_strdup_printf ("--config=%s", path);
  g_autofree char *file_source = g_strdup_printf ("file %s", path);
  const char *argv[] = { "lingma-ipc-proxy", config_flag, "--port", "3000", "--transport=ws", NULL };
  g_auto(GStrv) envp = make_env (fixture,
                                 "LINGMA_PROXY_PORT=2000",
                                 "LINGMA_PROXY_TIMEOUT_SECONDS=70",
                                 "LINGMA_PROXY_TRANSPORT=auto",
                                 "LINGMA_PROXY_MODEL=",
                                 NULL);

  load_ok (config, argv, (const char * const *) envp);

  g_assert_cmpstr (lp_config_get_file_path (config), ==, path);

  g_assert_cmpuint (lp_config_get_port (config), ==, 3000);
  g_assert_cmpstr (lp_config_get_source (config, "port"), ==, "flag --port");

  g_assert_cmpint (lp_config_get_transport (config), ==, LP_TRANSPORT_WEBSOCKET);
  g_assert_cmpstr (lp_config_get_source (config, "transport"), ==, "flag --transport");

  g_assert_cmpuint (lp_config_get_timeout (config), ==, 70);
  g_assert_cmpstr (lp_config_get_source (config, "timeout"), ==, "environment LINGMA_PROXY_TIMEOUT_SECONDS");

  g_assert_cmpstr (lp_config_get_host (config), ==, "10.0.0.1");
  g_assert_cmpstr (lp_config_get_source (config, "host"), ==, file_source);

  /* An empty variable counts as unset: the file's value stays. */
  g_assert_cmpstr (lp_config_get_model (config), ==, "m-file");
  g_assert_cmpstr (lp_config_get_source (config, "model"), ==, file_source);

  g_assert_true (lp_config_get_debug_requests (config));
  g_assert_cmpstr (lp_config_get_source (config, "debug-requests"), ==, file_source);

  g_assert_cmpuint (lp_config_get_max_queue (config), ==, 8);
  g_assert_cmpstr (lp_config_get_source (config, "max_queue"), ==, "default");
  g_assert_null (lp_config_get_source (config, "backend"));
}

static void
test_file_selection (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autofree char *flag_path = write_file (fixture->dir, "flag.json", "{\"port\": 1001}");
  g_autofree char *env_path = write_file (fixture->dir, "env.json", "{\"port\": 1002}");
  g_autofree char *xdg = g_build_filename (fixture->dir, "xdg", NULL);
  g_autofree char *xdg_path = write_file (xdg, "lingma-ipc-proxy/config.json", "{\"port\": 1004}");
  g_autofree char *home_path = write_file (fixture->home, ".config/lingma-ipc-proxy/config.json",
                                           "{\"port\": 1005}");
  g_autofree char *env_config = g_strdup_printf ("LINGMA_PROXY_CONFIG=%s", env_path);
  g_autofree char *env_xdg = g_strdup_printf ("XDG_CONFIG_HOME=%s", xdg);
  g_autofree char *local_path = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  const char *argv_space[] = { "lingma-ipc-proxy", "--config", flag_path, NULL };
  const char *argv_none[] = { "lingma-ipc-proxy", NULL };
  g_autofree char *config_eq = g_strdup_printf ("--config=%s", flag_path);
  const char *argv_eq[] = { "lingma-ipc-proxy", config_eq, NULL };
  g_auto(GStrv) env_with_config = make_env (fixture, env_config, env_xdg, NULL);
  g_auto(GStrv) env_xdg_only = make_env (fixture, env_xdg, NULL);
  g_auto(GStrv) env_relative_xdg = make_env (fixture, "XDG_CONFIG_HOME=xdg", NULL);
  g_auto(GStrv) env_plain = make_env (fixture, NULL);

  /* --config beats LINGMA_PROXY_CONFIG, in both forms. */
  load_ok (config, argv_space, (const char * const *) env_with_config);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1001);
  g_assert_cmpstr (lp_config_get_file_path (config), ==, flag_path);

  load_ok (config, argv_eq, (const char * const *) env_with_config);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1001);

  load_ok (config, argv_none, (const char * const *) env_with_config);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1002);
  g_assert_cmpstr (lp_config_get_file_path (config), ==, env_path);

  /* No explicit file: $XDG_CONFIG_HOME, else ~/.config. */
  load_ok (config, argv_none, (const char * const *) env_xdg_only);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1004);
  g_assert_cmpstr (lp_config_get_file_path (config), ==, xdg_path);

  load_ok (config, argv_none, (const char * const *) env_relative_xdg);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1005);
  g_assert_cmpstr (lp_config_get_file_path (config), ==, home_path);

  /* ./lingma-ipc-proxy.json beats the user file. */
  local_path = write_file (cwd, "lingma-ipc-proxy.json", "{\"port\": 1003}");
  load_ok (config, argv_none, (const char * const *) env_xdg_only);
  g_assert_cmpuint (lp_config_get_port (config), ==, 1003);
  g_assert_cmpstr (lp_config_get_file_path (config), ==, local_path);

  /* Nothing selected: defaults, and no file path. */
  g_assert_cmpint (g_remove (local_path), ==, 0);
  g_assert_cmpint (g_remove (home_path), ==, 0);
  load_ok (config, argv_none, (const char * const *) env_plain);
  g_assert_cmpuint (lp_config_get_port (config), ==, 8095);
  g_assert_null (lp_config_get_file_path (config));
}

static void
test_accepted_values (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *sub = g_build_filename (cwd, "sub", NULL);
  g_autofree char *images = g_build_filename (cwd, "images", NULL);
  const char *argv[] = {
    "lingma-ipc-proxy", "--help", "-h", "--version",
    "--port", "0",
    "--transport", " WS ",
    "--ws-url", "ws://127.0.0.1:36510",
    "--session-mode=FRESH",
    "--mode", "chat",
    "--debug-requests",
    "--cwd", "./sub/../sub/",
    "--image-dir=images",
    "--body-limit", "1024",
    "--store-max-bytes=4294967296",
    "--api-key", "secret",
    "--model", "  qwen  ",
    NULL
  };
  g_auto(GStrv) envp = make_env (fixture,
                                 "LINGMA_PROXY_DEBUG_REQUESTS=off",
                                 "LINGMA_PROXY_MAX_QUEUE=0",
                                 "LINGMA_PROXY_SHELL_TYPE=fish",
                                 NULL);
  const char *argv_pipe[] = { "lingma-ipc-proxy", "--transport=Pipe", "--debug-requests=No", NULL };

  load_ok (config, argv, (const char * const *) envp);
  g_assert_cmpuint (lp_config_get_port (config), ==, 0);
  g_assert_cmpint (lp_config_get_transport (config), ==, LP_TRANSPORT_WEBSOCKET);
  g_assert_cmpstr (lp_config_get_websocket_url (config), ==, "ws://127.0.0.1:36510/");
  g_assert_cmpint (lp_config_get_session_mode (config), ==, LP_SESSION_MODE_FRESH);
  g_assert_cmpint (lp_config_get_mode (config), ==, LP_MODE_CHAT);
  g_assert_true (lp_config_get_debug_requests (config));
  g_assert_cmpstr (lp_config_get_source (config, "debug_requests"), ==, "flag --debug-requests");
  g_assert_cmpstr (lp_config_get_cwd (config), ==, sub);
  g_assert_cmpstr (lp_config_get_image_dir (config), ==, images);
  g_assert_cmpuint (lp_config_get_body_limit (config), ==, 1024);
  g_assert_cmpuint (lp_config_get_store_max_bytes (config), ==, G_GUINT64_CONSTANT (4294967296));
  g_assert_cmpstr (lp_config_get_api_key (config), ==, "secret");
  g_assert_cmpstr (lp_config_get_model (config), ==, "qwen");
  g_assert_cmpuint (lp_config_get_max_queue (config), ==, 0);
  g_assert_cmpstr (lp_config_get_shell_type (config), ==, "fish");

  load_ok (config, argv_pipe, NULL);
  g_assert_cmpint (lp_config_get_transport (config), ==, LP_TRANSPORT_PIPE);
  g_assert_false (lp_config_get_debug_requests (config));
  g_assert_cmpstr (lp_transport_to_string (lp_config_get_transport (config)), ==, "pipe");
  g_assert_cmpstr (lp_mode_to_string (LP_MODE_CHAT), ==, "chat");
  g_assert_cmpstr (lp_session_mode_to_string (LP_SESSION_MODE_REUSE), ==, "reuse");
}

static void
test_model_aliases (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autofree char *path = write_file (fixture->dir, "a.json",
                                      "{\"model_aliases\": {\"a\": \"fa\", \"b\": \"fb\"}}");
  const char *argv[] = {
    "lingma-ipc-proxy", "--config", path,
    "--model-alias", "c=fc", "--model-alias=d = fd", NULL
  };
  g_auto(GStrv) envp = make_env (fixture, "LINGMA_PROXY_MODEL_ALIASES=b=eb, c=ec,", NULL);
  GHashTable *aliases;

  load_ok (config, argv, (const char * const *) envp);
  aliases = lp_config_get_model_aliases (config);
  g_assert_cmpuint (g_hash_table_size (aliases), ==, 4);
  g_assert_cmpstr (lp_config_resolve_alias (config, "a"), ==, "fa");
  g_assert_cmpstr (lp_config_resolve_alias (config, "b"), ==, "eb");
  g_assert_cmpstr (lp_config_resolve_alias (config, "c"), ==, "fc");
  g_assert_cmpstr (lp_config_resolve_alias (config, "d"), ==, "fd");
  g_assert_cmpstr (lp_config_resolve_alias (config, "gpt-4o"), ==, "gpt-4o");
  g_assert_cmpstr (lp_config_get_source (config, "model_aliases"), ==, "flag --model-alias");
}

static void
test_long_value (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(GString) value = g_string_new ("--mode=");
  g_autoptr(GString) expected = g_string_new ("invalid mode \"");
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "lingma-ipc-proxy", NULL, NULL };

  /* Quoted values stop after 120 characters, never inside one. */
  for (guint i = 0; i < 200; i++)
    g_string_append (value, "é");
  for (guint i = 0; i < 120; i++)
    g_string_append (expected, "é");
  g_string_append (expected, "…\" (from --mode): expected agent or chat");
  argv[1] = value->str;

  g_assert_false (lp_config_load (config, argv, NULL, &error));
  g_assert_error (error, LP_ERROR, LP_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, expected->str);
}

static void
record_notify (GObject    *object,
               GParamSpec *pspec,
               GPtrArray  *names)
{
  g_ptr_array_add (names, g_strdup (pspec->name));
}

typedef struct
{
  const char *argv[6];
  const char *env;
  const char *file;       /* written to x.json and selected with --config */
  const char *expected;   /* "%s" stands for the file's path */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { { "--port", "70000" }, NULL, NULL,
    "invalid port \"70000\" (from --port): expected an integer from 1 to 65535, or 0 for any free port" },
  { { NULL }, "LINGMA_PROXY_PORT=abc", NULL,
    "invalid port \"abc\" (from LINGMA_PROXY_PORT): expected an integer from 1 to 65535, or 0 for any free port" },
  { { "--port=-1" }, NULL, NULL,
    "invalid port \"-1\" (from --port): expected an integer from 1 to 65535, or 0 for any free port" },
  { { NULL }, "LINGMA_PROXY_TRANSPORT=carrier-pigeon", NULL,
    "invalid transport \"carrier-pigeon\" (from LINGMA_PROXY_TRANSPORT): expected auto, websocket or pipe" },
  { { "--session-mode=sticky" }, NULL, NULL,
    "invalid session_mode \"sticky\" (from --session-mode): expected auto, fresh or reuse" },
  { { "--mode", "plan" }, NULL, NULL,
    "invalid mode \"plan\" (from --mode): expected agent or chat" },
  { { "--debug-requests=maybe" }, NULL, NULL,
    "invalid debug_requests \"maybe\" (from --debug-requests): expected true or false (or 1/0, yes/no, on/off)" },
  { { NULL }, "LINGMA_PROXY_DEBUG_REQUESTS=2", NULL,
    "invalid debug_requests \"2\" (from LINGMA_PROXY_DEBUG_REQUESTS): expected true or false (or 1/0, yes/no, on/off)" },
  { { "--timeout", "0" }, NULL, NULL,
    "invalid timeout \"0\" (from --timeout): expected a number of seconds from 1 to 86400" },
  { { "--max-concurrent=17" }, NULL, NULL,
    "invalid max_concurrent \"17\" (from --max-concurrent): expected an integer from 1 to 16" },
  { { "--body-limit", "1023" }, NULL, NULL,
    "invalid body_limit \"1023\" (from --body-limit): expected a byte count from 1024 (1 KiB) to 1073741824 (1 GiB)" },
  { { "--store-max-bytes", "4294967297" }, NULL, NULL,
    "invalid store_max_bytes \"4294967297\" (from --store-max-bytes): expected a byte count from 1048576 (1 MiB) "
    "to 4294967296 (4 GiB)" },
  { { "--ws-url", "http://127.0.0.1:1/" }, NULL, NULL,
    "invalid websocket_url \"http://127.0.0.1:1/\" (from --ws-url): expected a ws:// or wss:// URL with a host" },
  { { "--host=" }, NULL, NULL,
    "invalid host \"\" (from --host): expected a non-empty string" },
  { { "--mode", "a\nb\"c" }, NULL, NULL,
    "invalid mode \"a\\nb\\\"c\" (from --mode): expected agent or chat" },
  { { NULL }, "LINGMA_PROXY_MODEL_ALIASES=a=b,c", NULL,
    "invalid model_aliases \"c\" (from LINGMA_PROXY_MODEL_ALIASES): expected NAME=TARGET pairs separated by commas" },
  { { "--model-alias", "=x" }, NULL, NULL,
    "invalid model_aliases \"=x\" (from --model-alias): expected NAME=TARGET pairs separated by commas" },
  { { "--frobnicate" }, NULL, NULL, "unknown flag \"--frobnicate\" (see --help)" },
  { { "--frobnicate=1" }, NULL, NULL, "unknown flag \"--frobnicate\" (see --help)" },
  { { "serve" }, NULL, NULL, "unexpected argument \"serve\" (see --help)" },
  { { "-port", "1" }, NULL, NULL, "unexpected argument \"-port\" (see --help)" },
  { { "--port" }, NULL, NULL, "flag --port needs a value" },
  { { "--model", "--port", "1" }, NULL, NULL, "flag --model needs a value" },
  { { "--config" }, NULL, NULL, "flag --config needs a value" },
  { { "--config=" }, NULL, NULL, "flag --config needs a value" },
  { { NULL }, "LINGMA_PROXY_CONFIG=/nonexistent/lingma.json", NULL,
    "config file /nonexistent/lingma.json: cannot be read: no such file" },
  { { NULL }, NULL, "{\n  \"port\": 1,\n  \"host\": ,\n}",
    "config file %s: malformed JSON at line 3: unexpected character `,', expected character `}'" },
  { { NULL }, NULL, "[1, 2]", "config file %s: expected a JSON object, found an array" },
  { { NULL }, NULL, "", "config file %s: expected a JSON object, found nothing" },
  { { NULL }, NULL, "{\"port\": \"8095\"}", "config file %s: key \"port\" must be an integer, not a string" },
  { { NULL }, NULL, "{\"port\": 80.5}", "config file %s: key \"port\" must be an integer, not a number" },
  { { NULL }, NULL, "{\"debug_requests\": 1}",
    "config file %s: key \"debug_requests\" must be a boolean, not an integer" },
  { { NULL }, NULL, "{\"host\": null}", "config file %s: key \"host\" must be a string, not null" },
  { { NULL }, NULL, "{\"model_aliases\": [\"a=b\"]}",
    "config file %s: key \"model_aliases\" must be an object of strings, not an array" },
  { { NULL }, NULL, "{\"model_aliases\": {\"a\": 1}}",
    "config file %s: key \"model_aliases\" must be an object of strings, but \"a\" is an integer" },
  { { NULL }, NULL, "{\"max_concurrent\": 17}",
    "invalid max_concurrent \"17\" (from config file %s): expected an integer from 1 to 16" },
  { { NULL }, NULL, "{\"transport\": \"carrier-pigeon\"}",
    "invalid transport \"carrier-pigeon\" (from config file %s): expected auto, websocket or pipe" },
};

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(GPtrArray) notified = g_ptr_array_new_with_free_func (g_free);
  const char *good_argv[] = { "lingma-ipc-proxy", "--port", "9000", NULL };

  load_ok (config, good_argv, NULL);
  g_signal_connect (config, "notify", G_CALLBACK (record_notify), notified);

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const ErrorCase *c = &error_cases[i];
      g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autoptr(GString) expected = g_string_new (c->expected);
      g_auto(GStrv) envp = make_env (fixture, c->env, NULL);

      g_test_message ("case %u: %s", i, c->expected);

      g_ptr_array_add (argv, g_strdup ("lingma-ipc-proxy"));
      if (c->file != NULL)
        {
          path = write_file (fixture->dir, "x.json", c->file);
          g_ptr_array_add (argv, g_strdup_printf ("--config=%s", path));
        }
      for (guint j = 0; c->argv[j] != NULL; j++)
        g_ptr_array_add (argv, g_strdup (c->argv[j]));
      g_ptr_array_add (argv, NULL);

      g_assert_false (lp_config_load (config, (const char * const *) argv->pdata,
                                      (const char * const *) envp, &error));
      g_assert_error (error, LP_ERROR, LP_ERROR_CONFIG);

      if (path != NULL)
        g_string_replace (expected, "%s", path, 0);
      g_assert_cmpstr (error->message, ==, expected->str);
      g_assert_null (strchr (error->message, '\n'));

      /* A failed load changes nothing. */
      g_assert_cmpuint (lp_config_get_port (config), ==, 9000);
      g_assert_cmpstr (lp_config_get_source (config, "port"), ==, "flag --port");
      g_assert_cmpuint (notified->len, ==, 0);
    }
}

static void
test_notify (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) aliases = g_hash_table_new (g_str_hash, g_str_equal);
  const char *argv[] = { "lingma-ipc-proxy", "--port", "9000", "--model-alias", "a=b", NULL };

  g_signal_connect (config, "notify", G_CALLBACK (record_notify), names);

  load_ok (config, argv, NULL);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (names, "port", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (names, "model-aliases", g_str_equal, NULL));

  /* The same values again: nothing changed, nothing notified. */
  g_ptr_array_set_size (names, 0);
  load_ok (config, argv, NULL);
  g_assert_cmpuint (names->len, ==, 0);

  g_object_set (config, "port", 9000, NULL);
  g_assert_cmpuint (names->len, ==, 0);
  g_assert_cmpstr (lp_config_get_source (config, "port"), ==, "flag --port");

  g_object_set (config, "port", 9001, "transport", LP_TRANSPORT_PIPE, NULL);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpuint (lp_config_get_port (config), ==, 9001);
  g_assert_cmpint (lp_config_get_transport (config), ==, LP_TRANSPORT_PIPE);
  g_assert_cmpstr (lp_config_get_source (config, "port"), ==, "settings");

  /* The table is copied, so later changes to it do not leak in. */
  g_hash_table_insert (aliases, (char *) "x", (char *) "y");
  g_object_set (config, "model-aliases", aliases, NULL);
  g_hash_table_insert (aliases, (char *) "z", (char *) "w");
  g_assert_cmpstr (lp_config_resolve_alias (config, "x"), ==, "y");
  g_assert_cmpstr (lp_config_resolve_alias (config, "z"), ==, "z");
  g_assert_cmpstr (lp_config_resolve_alias (config, "a"), ==, "a");
  g_assert_cmpuint (names->len, ==, 3);
}

static void
test_save_round_trip (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(LpConfig) loaded = lp_config_new ();
  g_autoptr(GHashTable) aliases = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonNode) saved_json = NULL;
  g_autoptr(JsonNode) loaded_json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "deep", "er", "config.json", NULL);
  g_autofree char *file_source = g_strdup_printf ("file %s", path);
  g_autofree char *contents = NULL;
  const char *argv[] = { "lingma-ipc-proxy", "--config", path, NULL };
  JsonObject *object;
  struct stat st;

  g_hash_table_insert (aliases, (char *) "gpt-4o", (char *) "qwen3-coder");
  g_object_set (config,
                "host", "0.0.0.0",
                "port", 0,
                "transport", LP_TRANSPORT_WEBSOCKET,
                "websocket-url", "wss://example.com:8443/ipc?x=1",
                "session-mode", LP_SESSION_MODE_REUSE,
                "timeout", 86400,
                "model", "kmodel",
                "model-aliases", aliases,
                "body-limit", G_GUINT64_CONSTANT (1073741824),
                "store-max-bytes", G_GUINT64_CONSTANT (4294967296),
                "debug-requests", TRUE,
                "api-key", "sk-secret",
                NULL);

  g_assert_true (lp_config_save (config, path, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* On disk the key is kept; for display it is masked. */
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "\"api_key\" : \"sk-secret\""));
  json_parser_load_from_data (parser, contents, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (object), ==, 25);

  load_ok (loaded, argv, NULL);
  g_assert_cmpstr (lp_config_get_api_key (loaded), ==, "sk-secret");
  g_assert_cmpstr (lp_config_resolve_alias (loaded, "gpt-4o"), ==, "qwen3-coder");
  g_assert_cmpuint (lp_config_get_store_max_bytes (loaded), ==, G_GUINT64_CONSTANT (4294967296));
  g_assert_cmpstr (lp_config_get_source (loaded, "websocket_url"), ==, file_source);

  saved_json = lp_config_to_json (config);
  loaded_json = lp_config_to_json (loaded);
  g_assert_true (json_node_equal (saved_json, loaded_json));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (loaded_json), "api_key"), ==, "********");

  /* Saving over an existing, more open file still leaves it private. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_true (lp_config_save (loaded, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_help_text (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LpConfig) config = lp_config_new ();
  g_autoptr(JsonNode) json = lp_config_to_json (config);
  g_autoptr(GList) keys = json_object_get_members (json_node_get_object (json));
  g_autofree char *help = lp_config_help_text ();
  static const char * const needles[] = {
    "--config FILE", "LINGMA_PROXY_CONFIG",
    "--port PORT", "LINGMA_PROXY_PORT; default 8095]", "0 picks any free port",
    "--ws-url URL", "LINGMA_PROXY_WS_URL",
    "--pipe PIPE", "LINGMA_IPC_PIPE",
    "--timeout SECONDS", "LINGMA_PROXY_TIMEOUT_SECONDS; default 300]",
    "--model-alias NAME=TARGET", "LINGMA_PROXY_MODEL_ALIASES",
    "--body-limit BYTES", "default 67108864]",
    "--session-mode MODE", "default auto]",
    "--shell-type SHELL", "default the name of $SHELL, else bash]",
    "--api-key KEY", "default none]",
    "--debug-requests[=BOOL]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (needles); i++)
    g_assert_nonnull (strstr (help, needles[i]));

  /* Every key is documented, with its environment variable. */
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *needle = g_strdup_printf ("[key %s; LINGMA_", (const char *) l->data);

      g_assert_nonnull (strstr (help, needle));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/config/defaults", test_defaults);
  ADD ("/config/precedence", test_precedence);
  ADD ("/config/file-selection", test_file_selection);
  ADD ("/config/accepted-values", test_accepted_values);
  ADD ("/config/model-aliases", test_model_aliases);
  ADD ("/config/errors", test_errors);
  ADD ("/config/long-value", test_long_value);
  ADD ("/config/notify", test_notify);
  ADD ("/config/save-round-trip", test_save_round_trip);
  ADD ("/config/help-text", test_help_text);
#undef ADD

  return g_test_run ();
}
