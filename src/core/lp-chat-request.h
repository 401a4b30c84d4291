/* lp-chat-request.h
 *
 * The normalised chat request both dialects are parsed into, and the
 * result the backend produces. Everything between the HTTP codecs and
 * the IPC client speaks these types only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  LP_DIALECT_OPENAI,
  LP_DIALECT_ANTHROPIC,
} LpDialect;

typedef enum
{
  LP_ROLE_USER,
  LP_ROLE_ASSISTANT,
  /* The output of a tool the client ran; projected into a user turn. */
  LP_ROLE_TOOL_RESULT,
} LpRole;

typedef struct
{
  char  *media_type;   /* e.g. "image/png"; never NULL */
  char  *data_base64;  /* inline bytes, or NULL when only @url is known */
  char  *url;          /* http(s) or file URL still to resolve, or NULL */
} LpImage;

typedef struct
{
  char     *id;
  char     *name;
  JsonNode *arguments; /* always a JSON object */
} LpToolCall;

typedef struct
{
  LpRole     role;
  char      *text;          /* trimmed; never NULL, may be "" */
  GPtrArray *images;        /* (element-type LpImage) user turns only */
  GPtrArray *tool_calls;    /* (element-type LpToolCall) assistant turns only */
  char      *tool_call_id;  /* LP_ROLE_TOOL_RESULT: the call answered, may be NULL */
  gboolean   tool_is_error; /* LP_ROLE_TOOL_RESULT: the tool reported failure */
} LpMessage;

typedef struct
{
  char     *name;
  char     *description;  /* never NULL */
  JsonNode *input_schema; /* JSON object, or NULL */
} LpToolDef;

typedef enum
{
  LP_TOOL_CHOICE_AUTO,
  LP_TOOL_CHOICE_NONE,
  LP_TOOL_CHOICE_ANY,
  LP_TOOL_CHOICE_TOOL,
} LpToolChoice;

typedef struct
{
  LpDialect     dialect;
  char         *model;          /* as the client sent it, trimmed; may be "" */
  char         *system;         /* all system text joined by blank lines; never NULL */
  GPtrArray    *messages;       /* (element-type LpMessage) in order */
  GPtrArray    *tools;          /* (element-type LpToolDef) */
  LpToolChoice  tool_choice;
  char         *tool_choice_name;     /* LP_TOOL_CHOICE_TOOL only */
  gboolean      parallel_tool_calls;  /* FALSE when the client disabled parallel calls */
  gboolean      stream;
  gboolean      include_usage;        /* OpenAI stream_options.include_usage */
  gboolean      thinking;             /* the client asked for thinking blocks */
  gint64        max_tokens;           /* 0 when unset */
  GStrv         stop;                 /* stop sequences, NULL-terminated, may be NULL */
  char         *output_format;        /* a JSON-schema / json_object output instruction, or NULL */
} LpChatRequest;

typedef enum
{
  LP_FINISH_STOP,
  LP_FINISH_LENGTH,
  LP_FINISH_STOP_SEQUENCE,
  LP_FINISH_TOOL_CALLS,
} LpFinishReason;

typedef struct
{
  char          *text;          /* never NULL */
  char          *thinking;      /* never NULL, may be "" */
  GPtrArray     *tool_calls;    /* (element-type LpToolCall) */
  LpFinishReason finish;
  char          *stop_sequence; /* LP_FINISH_STOP_SEQUENCE only */
  gint64         input_tokens;
  gint64         output_tokens;
} LpChatResult;

LpImage       *lp_image_new             (const char        *media_type,
                                         const char        *data_base64,
                                         const char        *url);
void           lp_image_free            (LpImage           *image);

LpToolCall    *lp_tool_call_new         (const char        *id,
                                         const char        *name,
                                         JsonNode          *arguments);
LpToolCall    *lp_tool_call_copy        (const LpToolCall  *call);
void           lp_tool_call_free        (LpToolCall        *call);
char          *lp_tool_call_dup_arguments_json (const LpToolCall *call);

LpMessage     *lp_message_new           (LpRole             role,
                                         const char        *text);
void           lp_message_free          (LpMessage         *message);

LpToolDef     *lp_tool_def_new          (const char        *name,
                                         const char        *description,
                                         JsonNode          *input_schema);
void           lp_tool_def_free         (LpToolDef         *tool);

LpChatRequest *lp_chat_request_new      (LpDialect          dialect);
void           lp_chat_request_free     (LpChatRequest     *request);
gboolean       lp_chat_request_has_tool_history (const LpChatRequest *request);
const LpToolDef *lp_chat_request_find_tool (const LpChatRequest *request,
                                            const char          *name);
gint64         lp_chat_request_estimate_tokens (const LpChatRequest *request);

LpChatResult  *lp_chat_result_new       (void);
void           lp_chat_result_free      (LpChatResult      *result);

char          *lp_new_id                (const char        *prefix);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpImage, lp_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpToolCall, lp_tool_call_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpMessage, lp_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpToolDef, lp_tool_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpChatRequest, lp_chat_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpChatResult, lp_chat_result_free)

G_END_DECLS
