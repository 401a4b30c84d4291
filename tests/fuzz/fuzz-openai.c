/* fuzz-openai.c
 *
 * The OpenAI dialect on arbitrary request bodies: parse, render, stream.
 * The checks live in fuzz-dialect.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-dialect.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  fuzz_dialect (lp_dialect_openai (), data, size);

  return 0;
}
