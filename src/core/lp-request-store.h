/* lp-request-store.h
 *
 * The request history: a GListModel of LpRequestRecord, newest first,
 * bounded by a record count and by the bytes the records hold. Only
 * finished records are evicted, oldest first; a request in flight always
 * stays visible.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lp-request-record.h"

G_BEGIN_DECLS

#define LP_TYPE_REQUEST_STORE (lp_request_store_get_type ())

G_DECLARE_FINAL_TYPE (LpRequestStore, lp_request_store, LP, REQUEST_STORE, GObject)

LpRequestStore  *lp_request_store_new                 (guint           max_records,
                                                       guint64         max_bytes);
LpRequestRecord *lp_request_store_begin               (LpRequestStore *self,
                                                       const char     *method,
                                                       const char     *path);
void             lp_request_store_clear               (LpRequestStore *self);
JsonNode        *lp_request_store_to_json             (LpRequestStore *self,
                                                       guint           limit);
guint            lp_request_store_get_max_records     (LpRequestStore *self);
void             lp_request_store_set_max_records     (LpRequestStore *self,
                                                       guint           max_records);
guint64          lp_request_store_get_max_bytes       (LpRequestStore *self);
void             lp_request_store_set_max_bytes       (LpRequestStore *self,
                                                       guint64         max_bytes);
guint64          lp_request_store_get_body_cap        (LpRequestStore *self);
void             lp_request_store_set_body_cap        (LpRequestStore *self,
                                                       guint64         body_cap);
guint64          lp_request_store_get_total_bytes     (LpRequestStore *self);
guint64          lp_request_store_get_total_requests  (LpRequestStore *self);
guint64          lp_request_store_get_failed_requests (LpRequestStore *self);

G_END_DECLS
