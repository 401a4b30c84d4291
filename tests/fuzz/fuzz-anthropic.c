/* fuzz-anthropic.c
 *
 * The Anthropic dialect on arbitrary request bodies: parse, render,
 * stream (checks in fuzz-dialect.h), and count_tokens, which must take
 * anything with a messages array.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-dialect.h"
#include "lp-anthropic.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_count_tokens (const uint8_t *data,
                    size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = lp_json_parse_body ((const char *) data, size, NULL);
  JsonNode *messages = NULL;
  gint64 tokens;

  if (root == NULL)
    return;

  if (JSON_NODE_HOLDS_OBJECT (root))
    messages = json_object_get_member (json_node_get_object (root), "messages");

  tokens = lp_anthropic_count_tokens (root, &error);
  if (messages != NULL && JSON_NODE_HOLDS_ARRAY (messages))
    {
      g_assert_no_error (error);
      g_assert_cmpint (tokens, >=, 0);
    }
  else
    {
      g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
      g_assert_cmpint (tokens, ==, -1);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  fuzz_dialect (lp_dialect_anthropic (), data, size);
  check_count_tokens (data, size);

  return 0;
}
