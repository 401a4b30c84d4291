/* lp-request-record.h
 *
 * One HTTP request as the history shows it. It is created when the
 * request starts and filled in as it progresses; every property notifies
 * when it changes, so a view bound to it updates live.
 *
 * Nothing secret is ever stored: the setters redact headers and bodies
 * themselves, and every body is capped with a visible marker.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "lp-chat-request.h"

G_BEGIN_DECLS

#define LP_TYPE_REQUEST_RECORD (lp_request_record_get_type ())

/* The default per-body cap. */
#define LP_REQUEST_RECORD_BODY_CAP (1024 * 1024)

G_DECLARE_FINAL_TYPE (LpRequestRecord, lp_request_record, LP, REQUEST_RECORD, GObject)

LpRequestRecord *lp_request_record_new                 (const char             *method,
                                                        const char             *path,
                                                        guint64                 body_cap);

const char      *lp_request_record_get_id              (LpRequestRecord        *self);
gint64           lp_request_record_get_started_at      (LpRequestRecord        *self);
const char      *lp_request_record_get_method          (LpRequestRecord        *self);
const char      *lp_request_record_get_path            (LpRequestRecord        *self);
guint64          lp_request_record_get_body_cap        (LpRequestRecord        *self);
const char      *lp_request_record_get_dialect         (LpRequestRecord        *self);
const char      *lp_request_record_get_model           (LpRequestRecord        *self);
guint            lp_request_record_get_status          (LpRequestRecord        *self);
gboolean         lp_request_record_get_in_flight       (LpRequestRecord        *self);
gint64           lp_request_record_get_latency_ms      (LpRequestRecord        *self);
gint64           lp_request_record_get_ttfb_ms         (LpRequestRecord        *self);
guint64          lp_request_record_get_bytes_in        (LpRequestRecord        *self);
guint64          lp_request_record_get_bytes_out       (LpRequestRecord        *self);
gint64           lp_request_record_get_input_tokens    (LpRequestRecord        *self);
gint64           lp_request_record_get_output_tokens   (LpRequestRecord        *self);
const char      *lp_request_record_get_request_headers (LpRequestRecord        *self);
const char      *lp_request_record_get_request_body    (LpRequestRecord        *self);
const char      *lp_request_record_get_response_body   (LpRequestRecord        *self);
const char      *lp_request_record_get_response_raw    (LpRequestRecord        *self);
const char      *lp_request_record_get_retry_reason    (LpRequestRecord        *self);
const char      *lp_request_record_get_error           (LpRequestRecord        *self);
gboolean         lp_request_record_get_truncated       (LpRequestRecord        *self);
gsize            lp_request_record_get_size            (LpRequestRecord        *self);

void             lp_request_record_set_request         (LpRequestRecord        *self,
                                                        const char * const     *header_names,
                                                        const char * const     *header_values,
                                                        const char             *body,
                                                        gsize                   body_len);
void             lp_request_record_set_dialect         (LpRequestRecord        *self,
                                                        LpDialect               dialect);
void             lp_request_record_set_model           (LpRequestRecord        *self,
                                                        const char             *model);
void             lp_request_record_set_tokens          (LpRequestRecord        *self,
                                                        gint64                  input_tokens,
                                                        gint64                  output_tokens);
void             lp_request_record_set_retry_reason    (LpRequestRecord        *self,
                                                        const char             *reason);
void             lp_request_record_mark_first_byte     (LpRequestRecord        *self);
void             lp_request_record_append_raw          (LpRequestRecord        *self,
                                                        const char             *data,
                                                        gsize                   len);
void             lp_request_record_set_response_body   (LpRequestRecord        *self,
                                                        const char             *body,
                                                        gsize                   len);
void             lp_request_record_finish              (LpRequestRecord        *self,
                                                        guint                   status,
                                                        const char             *error);
JsonNode        *lp_request_record_to_json             (LpRequestRecord        *self);

G_END_DECLS
