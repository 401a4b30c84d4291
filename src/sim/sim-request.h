/* sim-request.h
 *
 * The words of a user request, read for what a tool call needs: a path,
 * a URL, the content to write, the command to run, the text to search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *text;
  char *lower;   /* @text in ASCII lower case: the same byte offsets */
} SimRequest;

SimRequest *sim_request_new      (const char *text);
void        sim_request_free     (SimRequest *self);
gboolean    sim_request_has_word (SimRequest *self,
                                  const char *word);
char       *sim_request_path     (SimRequest *self);
char       *sim_request_url      (SimRequest *self);
char       *sim_request_content  (SimRequest *self);
char       *sim_request_command  (SimRequest *self);
char       *sim_request_query    (SimRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimRequest, sim_request_free)

G_END_DECLS
