/* lp-dialect.h
 *
 * What the HTTP layer needs from a wire dialect (OpenAI or Anthropic):
 * parse a body into an LpChatRequest, render a finished result or an
 * error envelope, and encode a live stream as SSE. The chat handler is
 * written once against this table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-chat-request.h"

G_BEGIN_DECLS

typedef struct _LpStream      LpStream;
typedef struct _LpStreamClass LpStreamClass;

struct _LpStreamClass
{
  /* Each appends complete SSE events to @out. */
  void (*begin)     (LpStream *stream, GString *out);
  void (*text)      (LpStream *stream, const char *delta, GString *out);
  void (*thinking)  (LpStream *stream, const char *delta, GString *out);
  void (*tool_call) (LpStream *stream, const LpToolCall *call, GString *out);
  void (*finish)    (LpStream *stream, const LpChatResult *result, GString *out);
  void (*error)     (LpStream *stream, guint status, const char *message, GString *out);
  void (*keepalive) (LpStream *stream, GString *out);
  void (*free)      (LpStream *stream);
};

struct _LpStream
{
  const LpStreamClass *klass;
};

typedef struct
{
  LpDialect   dialect;
  const char *name;

  /* Returns NULL with LP_ERROR_INVALID_REQUEST naming the offending field. */
  LpChatRequest *(*parse_request) (JsonNode *root, GError **error);

  /* The non-streaming response body. */
  char *(*render_result) (const LpChatRequest *request,
                          const LpChatResult  *result,
                          const char          *model);

  /* The error envelope for @status in this dialect's own shape. */
  char *(*render_error) (guint status, const char *message, const char *param);

  LpStream *(*stream_new) (const LpChatRequest *request,
                           const char          *model,
                           gint64               input_tokens);
} LpDialectCodec;

const LpDialectCodec *lp_dialect_openai    (void);
const LpDialectCodec *lp_dialect_anthropic (void);

static inline void
lp_stream_free (LpStream *stream)
{
  if (stream != NULL)
    stream->klass->free (stream);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpStream, lp_stream_free)

G_END_DECLS
