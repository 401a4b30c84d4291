/* test-redact.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "lp-redact.h"

static void
assert_header (const char *name,
               const char *value,
               const char *expected)
{
  g_autofree char *redacted = lp_redact_header_value (name, value);

  g_assert_cmpstr (redacted, ==, expected);
}

static void
test_headers_named (void)
{
  assert_header ("Authorization", "Bearer sk-secret", "Bearer [redacted]");
  assert_header ("authorization", "Basic dXNlcjpwYXNz", "Basic [redacted]");
  assert_header ("Proxy-Authorization", "Bearer abc", "Bearer [redacted]");
  assert_header ("x-api-key", "sk-ant-123", "[redacted]");
  assert_header ("API-Key", "abc", "[redacted]");
  assert_header ("Cookie", "session=abc; theme=dark", "[redacted]");
  assert_header ("Set-Cookie", "id=1; Path=/", "[redacted]");
}

static void
test_headers_pattern (void)
{
  assert_header ("X-Auth-Token", "abc def", "abc [redacted]");
  assert_header ("X-Client-Secret", "s3cr3t", "[redacted]");
  assert_header ("x-session-id", "42", "[redacted]");
  assert_header ("X-Goog-Api-KEY", "AIza", "[redacted]");
  assert_header ("X-Refresh-Token", "", "[redacted]");
  assert_header ("Authorization", "  Bearer   sk", "Bearer [redacted]");
  assert_header ("Authorization", "=weird value", "[redacted]");
}

static void
test_headers_kept (void)
{
  assert_header ("Content-Type", "application/json", "application/json");
  assert_header ("Host", "127.0.0.1:8080", "127.0.0.1:8080");
  assert_header ("anthropic-version", "2023-06-01", "2023-06-01");
  assert_header ("Keep-Alive", "timeout=5", "timeout=5");
  assert_header ("User-Agent", "claude-cli/1.0", "claude-cli/1.0");
}

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';

  return s;
}

static char *
image_url_body (gsize payload_len)
{
  g_autofree char *payload = repeat ('a', payload_len);

  return g_strdup_printf ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                          "[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                          "\"data:image/png;base64,%s\"}}]}]}",
                          payload);
}

static void
test_data_url_below_threshold (void)
{
  /* Upstream's own test case: 8192 characters, under our 16 KiB. */
  g_autofree char *body = image_url_body (8192);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, body);
}

static void
test_data_url_at_threshold (void)
{
  g_autofree char *body = image_url_body (LP_REDACT_BASE64_THRESHOLD);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, body);
}

static void
test_data_url_above_threshold (void)
{
  g_autofree char *body = image_url_body (32768);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *image_url;

  g_assert_null (strstr (redacted, "data:image/png;base64"));
  g_assert_nonnull (strstr (redacted, "[image/png base64, 24576 bytes omitted]"));

  /* Still the same document, compact. */
  root = json_from_string (redacted, NULL);
  g_assert_nonnull (root);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "model"), ==, "m");
  image_url = json_object_get_object_member (
    json_array_get_object_element (
      json_object_get_array_member (
        json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (root), "messages"), 0),
        "content"), 0),
    "image_url");
  g_assert_cmpstr (json_object_get_string_member (image_url, "url"), ==,
                   "[image/png base64, 24576 bytes omitted]");
  g_assert_null (strchr (redacted, '\n'));
  g_assert_null (strstr (redacted, ": "));
}

static void
test_anthropic_source (void)
{
  g_autofree char *payload = repeat ('Q', 20000);
  g_autofree char *small = repeat ('Q', 100);
  g_autofree char *body = g_strdup_printf (
    "{\"messages\":[{\"role\":\"user\",\"content\":["
    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\",\"data\":\"%s\"}},"
    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/gif\",\"data\":\"%s\"}},"
    "{\"type\":\"text\",\"text\":\"what is this?\"}]}]}",
    payload, small);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);
  g_autofree char *expected = g_strdup_printf (
    "{\"messages\":[{\"role\":\"user\",\"content\":["
    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\","
    "\"data\":\"[image/jpeg base64, 15000 bytes omitted]\"}},"
    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/gif\",\"data\":\"%s\"}},"
    "{\"type\":\"text\",\"text\":\"what is this?\"}]}]}",
    small);

  g_assert_cmpstr (redacted, ==, expected);
}

static void
test_bare_base64_without_media_type (void)
{
  g_autofree char *payload = repeat ('z', 20001);
  g_autofree char *body = g_strdup_printf ("[\"%s==\"]", payload);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  /* 20001 characters without padding decode to 15000 bytes. */
  g_assert_cmpstr (redacted, ==, "[\"[base64, 15000 bytes omitted]\"]");
}

static void
test_long_text_kept (void)
{
  g_autofree char *words = repeat ('a', 20000);
  g_autofree char *body = NULL;
  g_autofree char *redacted = NULL;

  /* A long string that is not only base64 stays. */
  words[100] = ' ';
  body = g_strdup_printf ("{ \"text\" : \"%s\" }", words);
  redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, body);
}

static void
test_sse_body (void)
{
  g_autofree char *payload = repeat ('b', 20000);
  g_autofree char *small = repeat ('b', 64);
  g_autofree char *body = g_strdup_printf (
    "event: message\ndata: {\"url\":\"data:image/webp;base64,%s\"}\n\n"
    "data: {\"url\":\"data:image/png;base64,%s\"}\n\n"
    "data: [DONE]\n\n",
    payload, small);
  g_autofree char *expected = g_strdup_printf (
    "event: message\ndata: {\"url\":\"[image/webp base64, 15000 bytes omitted]\"}\n\n"
    "data: {\"url\":\"data:image/png;base64,%s\"}\n\n"
    "data: [DONE]\n\n",
    small);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, expected);
}

static void
test_sse_without_images (void)
{
  const char *body = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, body);
}

static void
test_malformed_json (void)
{
  g_autofree char *payload = repeat ('c', 20000);
  g_autofree char *body = g_strdup_printf ("{\"data\": \"%s\", \"x\": [1, 2", payload);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, body);
}

static void
test_malformed_json_with_data_url (void)
{
  g_autofree char *payload = repeat ('d', 20000);
  g_autofree char *body = g_strdup_printf ("{\"url\": \"data:image/png;base64,%s\", ", payload);
  g_autofree char *redacted = lp_redact_body (body, strlen (body), LP_REDACT_BASE64_THRESHOLD);

  g_assert_cmpstr (redacted, ==, "{\"url\": \"[image/png base64, 15000 bytes omitted]\", ");
}

static void
test_length_respected (void)
{
  g_autofree char *payload = repeat ('e', 20000);
  g_autofree char *body = g_strdup_printf ("data:image/png;base64,%sTAIL", payload);
  g_autofree char *redacted = lp_redact_body (body, 22 + 100, LP_REDACT_BASE64_THRESHOLD);
  g_autofree char *empty = lp_redact_body ("", 0, LP_REDACT_BASE64_THRESHOLD);
  g_autofree char *none = lp_redact_body (NULL, 0, LP_REDACT_BASE64_THRESHOLD);

  /* Only the first @len bytes count: the payload is cut short of the
   * threshold, and nothing past it appears. */
  g_assert_cmpuint (strlen (redacted), ==, 122);
  g_assert_true (strncmp (redacted, body, 122) == 0);
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (none, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/redact/headers/named", test_headers_named);
  g_test_add_func ("/redact/headers/pattern", test_headers_pattern);
  g_test_add_func ("/redact/headers/kept", test_headers_kept);
  g_test_add_func ("/redact/body/data-url-below-threshold", test_data_url_below_threshold);
  g_test_add_func ("/redact/body/data-url-at-threshold", test_data_url_at_threshold);
  g_test_add_func ("/redact/body/data-url-above-threshold", test_data_url_above_threshold);
  g_test_add_func ("/redact/body/anthropic-source", test_anthropic_source);
  g_test_add_func ("/redact/body/bare-base64", test_bare_base64_without_media_type);
  g_test_add_func ("/redact/body/long-text-kept", test_long_text_kept);
  g_test_add_func ("/redact/body/sse", test_sse_body);
  g_test_add_func ("/redact/body/sse-without-images", test_sse_without_images);
  g_test_add_func ("/redact/body/malformed-json", test_malformed_json);
  g_test_add_func ("/redact/body/malformed-json-data-url", test_malformed_json_with_data_url);
  g_test_add_func ("/redact/body/length", test_length_respected);

  return g_test_run ();
}
