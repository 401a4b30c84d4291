/* lp-images.h
 *
 * Turns the images of the last user message into the items Lingma expects
 * inside `session/prompt`: each image is resolved (inline base64, http(s)
 * fetch, or a file inside an allow-listed directory), checked to really be
 * an image, and stored in a private temporary directory that lives exactly
 * as long as the batch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LP_IMAGE_DEFAULT_MAX_BYTES        (20 * 1024 * 1024)
#define LP_IMAGE_DEFAULT_FETCH_TIMEOUT_MS (10 * 1000)
#define LP_IMAGE_MAX_REDIRECTS            3

typedef struct _LpImageBatch LpImageBatch;

void          lp_image_batch_prepare_async      (GPtrArray            *images,
                                                 const char           *allowed_dir,
                                                 SoupSession          *session,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void          lp_image_batch_prepare_full_async (GPtrArray            *images,
                                                 const char           *allowed_dir,
                                                 SoupSession          *session,
                                                 gsize                 max_bytes,
                                                 guint                 fetch_timeout_ms,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
LpImageBatch *lp_image_batch_prepare_finish     (GAsyncResult         *result,
                                                 GError              **error);
JsonArray    *lp_image_batch_get_items          (LpImageBatch         *self);
const char   *lp_image_batch_get_image_url      (LpImageBatch         *self);
guint         lp_image_batch_get_count          (LpImageBatch         *self);
void          lp_image_batch_free               (LpImageBatch         *self);

void          lp_images_remove_stale_dirs       (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpImageBatch, lp_image_batch_free)

G_END_DECLS
