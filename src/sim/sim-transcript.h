/* sim-transcript.h
 *
 * Reads a prompt laid out as a transcript ("User: …", "Assistant: …"
 * paragraphs, optionally followed by a tool contract and a trailing
 * "Assistant:") the way a model would: what did the user ask last?
 * Claude Code's <system-reminder> blocks are context, not the request.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sim_transcript_latest_user_turn (const char *prompt,
                                       gsize       limit);
char *sim_transcript_first_paragraph  (const char *text);

G_END_DECLS
