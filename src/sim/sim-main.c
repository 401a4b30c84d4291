/* sim-main.c
 *
 * lingma-sim: a stand-in for the Lingma IDE plugin's local agent. It
 * speaks the same WebSocket JSON-RPC protocol, with scripted replies, so
 * that the proxy can be tested and tried without Lingma.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>

#include "sim-info-file.h"
#include "sim-server.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 36510

static const char description[] =
  "Quick start: run\n"
  "  lingma-sim --info-file ~/.config/Lingma/SharedClientCache/.info.json\n"
  "and start lingma-ipc-proxy: it finds the simulator the way it finds Lingma\n"
  "(or point it at ws://127.0.0.1:36510/ directly). The info file of a running\n"
  "Lingma is never replaced.\n"
  "\n"
  "Methods: initialize (must come first), session/new, session/set_model (internal\n"
  "model ids only), session/prompt (streams session/update notifications, then\n"
  "context_usage and chat_finish, then answers), session/cancel,\n"
  "chat/deleteSessionById, config/queryModels.\n"
  "\n"
  "Replies: \"Hello from the Lingma simulator (model ID). You said: ...\", quoting\n"
  "the first paragraph of the latest user turn (without <system-reminder> blocks)\n"
  "and describing attached images.\n"
  "When the prompt carries a tool contract (the ```json action format and an\n"
  "\"Available tools:\" list of NAME(param: type, opt?: type) lines), the reply is\n"
  "one action block for the tool that best fits the request, with arguments taken\n"
  "from its words, or plain text when no tool fits; when the latest user turn\n"
  "starts with \"Tool result for ID:\" or \"Tool error for ID:\", the reply quotes\n"
  "the first paragraph of that output. A rule line \"This reply must call the tool\n"
  "\"NAME\" ...\" or \"This reply must contain at least one action block\" after\n"
  "the tool list makes the reply call NAME, or some tool, in any case.\n"
  "\n";

typedef struct
{
  char     *host;
  int       port;
  char     *info_file;
  gboolean  legacy_info;
  char     *frame_log;
  char     *models;
  int       chunk_size;
  int       chunk_delay_ms;
  gboolean  split_frames;
  gboolean  server_requests;
  char    **behaviours;
  gboolean  version;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->host);
  g_free (options->info_file);
  g_free (options->frame_log);
  g_free (options->models);
  g_strfreev (options->behaviours);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);

  return G_SOURCE_CONTINUE;
}

static SimConfig *
config_from_options (const Options  *options,
                     GError        **error)
{
  g_autoptr(SimConfig) config = sim_config_new ();

  if (options->chunk_size < 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--chunk-size must be at least 1");
      return NULL;
    }
  if (options->chunk_delay_ms < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--chunk-delay-ms must not be negative");
      return NULL;
    }

  config->chunk_size = options->chunk_size;
  config->chunk_delay_ms = options->chunk_delay_ms;
  config->split_frames = options->split_frames;
  config->server_requests = options->server_requests;

  for (guint i = 0; options->behaviours != NULL && options->behaviours[i] != NULL; i++)
    if (!sim_behaviour_apply (config->behaviour, options->behaviours[i], error))
      return NULL;

  if (options->models != NULL)
    {
      sim_models_free (config->models);
      if ((config->models = sim_models_new_from_file (options->models, error)) == NULL)
        return NULL;
    }

  if (options->frame_log != NULL &&
      (config->frame_log = sim_frame_log_open (options->frame_log, error)) == NULL)
    return NULL;

  return g_steal_pointer (&config);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) options = {
    .port = DEFAULT_PORT,
    .chunk_size = SIM_DEFAULT_CHUNK_SIZE,
    .chunk_delay_ms = SIM_DEFAULT_CHUNK_DELAY_MS,
  };
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &options.host,
      "IP address to listen on (default " DEFAULT_HOST ")", "ADDRESS" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &options.port,
      "Port to listen on (default 36510, Lingma's usual port; 0 picks a free one)", "PORT" },
    { "info-file", 0, 0, G_OPTION_ARG_FILENAME, &options.info_file,
      "Write a SharedClientCache info file there (removed on exit), e.g. "
      "~/.config/Lingma/SharedClientCache/.info.json", "PATH" },
    { "legacy-info", 0, 0, G_OPTION_ARG_NONE, &options.legacy_info,
      "Write the info file in the older three-line text format", NULL },
    { "frame-log", 0, 0, G_OPTION_ARG_FILENAME, &options.frame_log,
      "Append every frame received to PATH, one JSON line each: {\"t\":MS,\"frame\":MESSAGE}", "PATH" },
    { "models", 0, 0, G_OPTION_ARG_FILENAME, &options.models,
      "Answer config/queryModels with this JSON file instead of the built-in tree", "FILE" },
    { "chunk-size", 0, 0, G_OPTION_ARG_INT, &options.chunk_size,
      "Characters per agent_message_chunk (default 16; long replies use at most 256 chunks)", "CHARS" },
    { "chunk-delay-ms", 0, 0, G_OPTION_ARG_INT, &options.chunk_delay_ms,
      "Delay before each chunk (default 5)", "MS" },
    { "split-frames", 0, 0, G_OPTION_ARG_NONE, &options.split_frames,
      "Split some outgoing frames across two WebSocket messages and join others into one", NULL },
    { "server-requests", 0, 0, G_OPTION_ARG_NONE, &options.server_requests,
      "With each prompt, send the client a window/showMessageRequest request "
      "(integer and string ids in turn) and log its answer", NULL },
    { "behaviour", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &options.behaviours,
      "Apply a behaviour to every prompt (repeatable; see below)", "NAME[=VALUE]" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version,
      "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SimServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *full_description = NULL;
  SimConfig *config;
  guint sigint_source;
  guint sigterm_source;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- simulate Lingma's local IPC for lingma-ipc-proxy");
  g_option_context_add_main_entries (context, entries, NULL);
  full_description = g_strconcat (description, sim_behaviour_get_help (), NULL);
  g_option_context_set_description (context, full_description);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lingma-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }

  if (options.version)
    {
      g_print ("lingma-sim %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (options.port < 0 || options.port > 65535)
    {
      g_printerr ("lingma-sim: --port must be between 0 and 65535\n");
      return EXIT_FAILURE;
    }

  if ((config = config_from_options (&options, &error)) == NULL)
    {
      g_printerr ("lingma-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }

  server = sim_server_new (config);
  if (!sim_server_listen (server, options.host != NULL ? options.host : DEFAULT_HOST,
                          options.port, &error))
    {
      g_printerr ("lingma-sim: cannot listen: %s\n", error->message);
      return EXIT_FAILURE;
    }

  if (options.info_file != NULL &&
      !sim_info_file_write (options.info_file, sim_server_get_port (server), options.legacy_info, &error))
    {
      g_printerr ("lingma-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_source = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm_source = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  /* Tests wait for exactly this line. */
  g_print ("lingma-sim listening on ws://%s:%u/\n",
           options.host != NULL ? options.host : DEFAULT_HOST, sim_server_get_port (server));
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
  if (options.info_file != NULL)
    sim_info_file_remove (options.info_file);

  return EXIT_SUCCESS;
}
