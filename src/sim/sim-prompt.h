/* sim-prompt.h
 *
 * The parts of a session/prompt request the simulator reacts to: the
 * text, the images and the correlation id.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *mime_type;
  char    *problem;    /* why the image is unreadable, or NULL */
  char    *url;        /* an http(s) URL the simulator does not fetch, or NULL */
  gsize    size;       /* decoded or file size in bytes */
} SimImage;

typedef struct
{
  char      *text;        /* the text items, joined by a newline */
  char      *request_id;  /* _meta "ai-coding/request-id", or NULL */
  GPtrArray *images;      /* (element-type SimImage) */
} SimPrompt;

SimPrompt *sim_prompt_new_from_params (JsonObject  *params,
                                       GError     **error);
void       sim_prompt_free            (SimPrompt   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimPrompt, sim_prompt_free)

G_END_DECLS
