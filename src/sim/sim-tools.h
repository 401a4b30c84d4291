/* sim-tools.h
 *
 * The tool contract a client puts in a prompt (the ```json action block
 * format and an "Available tools:" list), answered the way a cooperative
 * model would: one action block for the tool that fits the request, for
 * the tool the rules force, or plain text when no tool fits and the rules
 * require no call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_ACTION_FENCE "```json action"

typedef struct _SimContract SimContract;

SimContract *sim_contract_parse         (const char   *prompt);
void         sim_contract_free          (SimContract  *self);
gsize        sim_contract_get_offset    (SimContract  *self);
gboolean     sim_contract_requires_call (SimContract  *self);
char        *sim_contract_answer        (SimContract  *self,
                                         const char   *request_text,
                                         guint         n_calls);
char        *sim_contract_answer_broken (SimContract  *self,
                                         const char   *request_text);
char        *sim_contract_answer_undeclared
                                        (SimContract  *self);
char        *sim_tool_result_reply      (const char   *turn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimContract, sim_contract_free)

G_END_DECLS
