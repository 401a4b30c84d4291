/* sim-methods.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include "sim-connection.h"
#include "sim-json.h"
#include "sim-methods.h"
#include "sim-server.h"
#include "sim-session.h"

#define PROTOCOL_VERSION 1

typedef void (*SimMethodFunc) (SimConnection *connection,
                               JsonNode      *id,
                               JsonObject    *params);

static JsonNode *
node_from_object (JsonObject *object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);

  return node;
}

static SimSession *
lookup_session (SimConnection *connection,
                JsonNode      *id,
                const char    *session_id)
{
  SimServer *server = sim_connection_get_server (connection);
  SimSession *session = sim_server_lookup_session (server, session_id);

  if (session == NULL)
    {
      g_autofree char *message = g_strdup_printf ("unknown session \"%s\"",
                                                  session_id != NULL ? session_id : "");

      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, message);
    }

  return session;
}

static void
method_initialize (SimConnection *connection,
                   JsonNode      *id,
                   JsonObject    *params)
{
  JsonObject *result = json_object_new ();
  JsonObject *capabilities = json_object_new ();
  JsonObject *prompt_capabilities = json_object_new ();
  JsonObject *agent_info = json_object_new ();

  json_object_set_boolean_member (prompt_capabilities, "image", TRUE);
  json_object_set_boolean_member (prompt_capabilities, "audio", FALSE);
  json_object_set_boolean_member (prompt_capabilities, "embeddedContext", TRUE);
  json_object_set_boolean_member (capabilities, "loadSession", FALSE);
  json_object_set_object_member (capabilities, "promptCapabilities", prompt_capabilities);

  json_object_set_string_member (agent_info, "name", "lingma-sim");
  json_object_set_string_member (agent_info, "version", PACKAGE_VERSION);

  json_object_set_int_member (result, "protocolVersion", PROTOCOL_VERSION);
  json_object_set_object_member (result, "agentCapabilities", capabilities);
  json_object_set_array_member (result, "authMethods", json_array_new ());
  json_object_set_object_member (result, "agentInfo", agent_info);

  sim_connection_set_initialized (connection);
  sim_connection_send_result (connection, id, node_from_object (result));
}

static void
method_session_new (SimConnection *connection,
                    JsonNode      *id,
                    JsonObject    *params)
{
  SimServer *server = sim_connection_get_server (connection);
  JsonNode *mcp_servers = json_object_get_member (params, "mcpServers");
  const char *cwd = sim_json_get_string (params, "cwd");
  JsonObject *result;
  SimSession *session;

  if (cwd == NULL || !g_path_is_absolute (cwd))
    {
      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, "cwd must be an absolute path");
      return;
    }

  if (mcp_servers != NULL && !JSON_NODE_HOLDS_ARRAY (mcp_servers))
    {
      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, "mcpServers must be an array");
      return;
    }

  session = sim_server_create_session (server);
  g_message ("session %s created", sim_session_get_id (session));

  result = json_object_new ();
  json_object_set_string_member (result, "sessionId", sim_session_get_id (session));
  sim_connection_send_result (connection, id, node_from_object (result));
}

static void
method_session_set_model (SimConnection *connection,
                          JsonNode      *id,
                          JsonObject    *params)
{
  SimConfig *config = sim_server_get_config (sim_connection_get_server (connection));
  const char *model_id = sim_json_get_string (params, "modelId");
  SimSession *session;

  if ((session = lookup_session (connection, id, sim_json_get_string (params, "sessionId"))) == NULL)
    return;

  /* Lingma knows its models by internal id only; a display name is an error. */
  if (!sim_models_contains (config->models, model_id))
    {
      g_autofree char *message = g_strdup_printf ("unknown model id \"%s\"",
                                                  model_id != NULL ? model_id : "");

      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, message);
      return;
    }

  sim_session_set_model_id (session, model_id);
  sim_connection_send_result (connection, id, NULL);
}

static void
method_session_prompt (SimConnection *connection,
                       JsonNode      *id,
                       JsonObject    *params)
{
  SimConfig *config = sim_server_get_config (sim_connection_get_server (connection));
  g_autoptr(SimPrompt) prompt = NULL;
  g_autoptr(GError) error = NULL;
  SimReply *reply;
  SimSession *session;
  const char *model_id;
  SimRun *run;

  if ((session = lookup_session (connection, id, sim_json_get_string (params, "sessionId"))) == NULL)
    return;

  if ((prompt = sim_prompt_new_from_params (params, &error)) == NULL)
    {
      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, error->message);
      return;
    }

  model_id = sim_session_get_model_id (session);
  if (model_id == NULL)
    model_id = sim_models_get_default_id (config->models);

  reply = sim_reply_new (config->behaviour, prompt, model_id,
                         sim_session_next_prompt_index (session), &error);
  if (reply == NULL)
    {
      sim_connection_send_error (connection, id, SIM_RPC_INVALID_PARAMS, error->message);
      return;
    }

  if (config->server_requests)
    {
      JsonObject *request = json_object_new ();

      json_object_set_int_member (request, "type", 3);
      json_object_set_string_member (request, "message", "The Lingma simulator started a prompt.");
      json_object_set_array_member (request, "actions", json_array_new ());
      sim_connection_send_request (connection, "window/showMessageRequest", request);
    }

  run = sim_run_new (connection, sim_session_get_id (session), id, prompt->request_id, reply,
                     config->chunk_size, config->chunk_delay_ms);
  sim_session_add_run (session, run);
}

/* A notification in ACP; answered as well when sent as a request. */
static void
method_session_cancel (SimConnection *connection,
                       JsonNode      *id,
                       JsonObject    *params)
{
  SimSession *session;

  if ((session = lookup_session (connection, id, sim_json_get_string (params, "sessionId"))) == NULL)
    return;

  sim_connection_send_result (connection, id, NULL);
  g_message ("session %s: %u prompts cancelled", sim_session_get_id (session),
             sim_session_cancel (session));
}

static void
method_delete_session (SimConnection *connection,
                       JsonNode      *id,
                       JsonObject    *params)
{
  SimServer *server = sim_connection_get_server (connection);
  const char *session_id = sim_json_get_string (params, "sessionId");

  if (session_id == NULL)
    session_id = sim_json_get_string (params, "id");

  if (lookup_session (connection, id, session_id) == NULL)
    return;

  g_message ("session %s deleted", session_id);
  sim_server_delete_session (server, session_id);
  sim_connection_send_result (connection, id, NULL);
}

static void
method_query_models (SimConnection *connection,
                     JsonNode      *id,
                     JsonObject    *params)
{
  SimConfig *config = sim_server_get_config (sim_connection_get_server (connection));

  sim_connection_send_result (connection, id, json_node_copy (sim_models_get_tree (config->models)));
}

void
sim_methods_dispatch (SimConnection *connection,
                      const char    *method,
                      JsonNode      *id,
                      JsonObject    *params)
{
  static const struct {
    const char    *name;
    SimMethodFunc  func;
  } methods[] = {
    { "initialize",             method_initialize },
    { "session/new",            method_session_new },
    { "session/set_model",      method_session_set_model },
    { "session/prompt",         method_session_prompt },
    { "session/cancel",         method_session_cancel },
    { "chat/deleteSessionById", method_delete_session },
    { "config/queryModels",     method_query_models },
  };
  g_autofree char *message = NULL;

  g_return_if_fail (connection != NULL);
  g_return_if_fail (method != NULL);
  g_return_if_fail (params != NULL);

  if (!sim_connection_get_initialized (connection) && !g_str_equal (method, "initialize"))
    {
      sim_connection_send_error (connection, id, SIM_RPC_NOT_INITIALIZED, "not initialized");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      if (g_str_equal (method, methods[i].name))
        {
          methods[i].func (connection, id, params);
          return;
        }
    }

  message = g_strdup_printf ("method not found: %s", method);
  sim_connection_send_error (connection, id, SIM_RPC_METHOD_NOT_FOUND, message);
}
