/* lp-chat-handler.h
 *
 * The HTTP side of a chat: body → LpChatRequest via the dialect codec, a
 * concurrency slot, an LpChatRun, and its events written back as JSON or
 * SSE. Also POST /v1/messages/count_tokens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-backend.h"
#include "lp-server.h"

G_BEGIN_DECLS

void lp_chat_handler_install (LpServer  *server,
                              LpBackend *backend);

G_END_DECLS
