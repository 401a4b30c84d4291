/* lp-tool-retry.c
 *
 * Whether a reply without tool calls gets another attempt, and what the
 * model is told on it. Every retry costs a full round trip, so the phrase
 * lists are narrow: first-person statements of inability or of an intended
 * call, never words an ordinary answer uses ("read the file", "you can
 * run", 执行命令, 读取文件; W25).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-tool-retry"

#include "config.h"

#include <string.h>

#include "lp-tools.h"

/* An announced call is short ("I'll read the file first."). A longer
 * reply is an answer, and a phrase like "let me run" inside it is prose. */
#define MISSED_MAX_CHARS 800

/* Lowercase; ’ is matched as '. */
static const char * const refusal_needles[] = {
  "i don't have access to tools",
  "i do not have access to tools",
  "i don't have access to any tools",
  "i do not have access to any tools",
  "i don't have any tools",
  "i do not have any tools",
  "i don't have tools",
  "i do not have tools",
  "i don't have the ability to",
  "i do not have the ability to",
  "i cannot call tools",
  "i can't call tools",
  "i cannot use tools",
  "i can't use tools",
  "i cannot execute",
  "i can't execute",
  "i'm unable to execute",
  "i am unable to execute",
  "i cannot run commands",
  "i can't run commands",
  "i cannot run shell",
  "i can't run shell",
  "i'm unable to run",
  "i am unable to run",
  "i cannot access your computer",
  "i can't access your computer",
  "i cannot access your local",
  "i can't access your local",
  "i cannot access files",
  "i can't access files",
  "i'm unable to access your",
  "i am unable to access your",
  "我无法直接执行",
  "我不能直接执行",
  "我无法执行",
  "我不能执行",
  "我无法运行",
  "我不能运行",
  "我无法调用",
  "我不能调用",
  "我无法访问你的",
  "我无法访问您的",
  "无法访问你的电脑",
  "无法访问您的电脑",
  "我没有权限访问",
  "我没有可用的工具",
  "没有可用的工具",
  "工具不可用",
  "无法执行系统命令",
  "不能执行系统命令",
};

static const char * const missed_needles[] = {
  "let me use the",
  "let me use a",
  "let me run the",
  "let me run a",
  "let me run `",
  "let me execute",
  "let me read the",
  "let me read `",
  "let me open the",
  "let me search",
  "let me check the file",
  "let me check the code",
  "let me look at the file",
  "let me look at the code",
  "let me look at `",
  "i'll use the",
  "i will use the",
  "i need to use the",
  "i need to use a",
  "i need to run",
  "i need to execute",
  "i need to read",
  "i'll read the file",
  "i will read the file",
  "i need to check the",
  "i need to look at",
  "i need to search",
  "i'll search the",
  "i will search the",
  "please run the following",
  "please run this command",
  "you can run the following command",
  "run the following command in your terminal",
  "paste the output",
  "paste the file",
  "paste the contents",
  "paste its contents",
  "manually run",
  "run it manually",
  "switch to plan mode",
  "switch to planning mode",
  "我需要使用",
  "我需要调用",
  "我需要运行",
  "我需要执行",
  "我需要读取",
  "我需要查看",
  "我需要搜索",
  "我需要检查",
  "让我使用",
  "让我调用",
  "让我运行",
  "让我执行",
  "让我读取",
  "让我查看",
  "让我搜索",
  "让我检查",
  "我来使用",
  "我将使用",
  "我会使用",
  "我先读取",
  "我先查看",
  "请手动运行",
  "请手动执行",
  "请你运行",
  "请您运行",
  "你可以在终端中运行",
  "您可以在终端中运行",
  "你可以在终端运行",
  "粘贴给我",
  "切换到计划模式",
  "切换到规划模式",
};

static const char *
find_needle (const char         *lower,
             const char * const *needles,
             gsize               n_needles)
{
  for (gsize i = 0; i < n_needles; i++)
    {
      if (strstr (lower, needles[i]) != NULL)
        return needles[i];
    }

  return NULL;
}

static gboolean
calls_tool (const LpToolParse *parse,
            const char        *name)
{
  for (guint i = 0; i < parse->calls->len; i++)
    {
      const LpToolCall *call = g_ptr_array_index (parse->calls, i);

      if (g_strcmp0 (call->name, name) == 0)
        return TRUE;
    }

  return FALSE;
}

static LpToolRetryReason
decide (const LpChatRequest  *request,
        const LpToolParse    *parse,
        const char          **needle)
{
  g_autofree char *down = NULL;
  g_autoptr(GString) lower = NULL;

  *needle = NULL;

  /* A call to another tool does not satisfy a forced one. */
  if (request->tool_choice == LP_TOOL_CHOICE_TOOL && parse->calls->len > 0 &&
      !calls_tool (parse, request->tool_choice_name))
    return LP_TOOL_RETRY_FORCED;

  if (parse->calls->len > 0 ||
      request->tool_choice == LP_TOOL_CHOICE_NONE ||
      !lp_tools_active (request))
    return LP_TOOL_RETRY_NONE;

  if (parse->problem != NULL)
    return LP_TOOL_RETRY_INVALID;

  if (request->tool_choice == LP_TOOL_CHOICE_ANY || request->tool_choice == LP_TOOL_CHOICE_TOOL)
    return LP_TOOL_RETRY_FORCED;

  down = g_utf8_strdown (parse->text, -1);
  lower = g_string_new (down);
  g_string_replace (lower, "’", "'", 0);

  if ((*needle = find_needle (lower->str, refusal_needles, G_N_ELEMENTS (refusal_needles))) != NULL)
    return LP_TOOL_RETRY_REFUSAL;

  if (g_utf8_strlen (parse->text, -1) <= MISSED_MAX_CHARS &&
      (*needle = find_needle (lower->str, missed_needles, G_N_ELEMENTS (missed_needles))) != NULL)
    return LP_TOOL_RETRY_MISSED;

  return LP_TOOL_RETRY_NONE;
}

LpToolRetryReason
lp_tool_retry_reason (const LpChatRequest *request,
                      const LpToolParse   *parse)
{
  const char *needle;

  g_return_val_if_fail (request != NULL, LP_TOOL_RETRY_NONE);
  g_return_val_if_fail (parse != NULL, LP_TOOL_RETRY_NONE);

  return decide (request, parse, &needle);
}

const char *
lp_tool_retry_matched_needle (const LpChatRequest *request,
                              const LpToolParse   *parse)
{
  const char *needle;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (parse != NULL, NULL);

  decide (request, parse, &needle);

  return needle;
}

const char *
lp_tool_retry_reason_to_string (LpToolRetryReason reason)
{
  switch (reason)
    {
    case LP_TOOL_RETRY_NONE:
      return "none";
    case LP_TOOL_RETRY_REFUSAL:
      return "refusal";
    case LP_TOOL_RETRY_MISSED:
      return "missed";
    case LP_TOOL_RETRY_FORCED:
      return "forced";
    case LP_TOOL_RETRY_INVALID:
      return "invalid";
    default:
      g_return_val_if_reached ("none");
    }
}

static char *
build_instruction (const LpChatRequest *request,
                   LpToolRetryReason    reason,
                   const char          *problem,
                   guint                attempt)
{
  GString *out = g_string_new (NULL);

  if (attempt >= 2)
    g_string_append (out, "Last reminder. ");

  switch (reason)
    {
    case LP_TOOL_RETRY_REFUSAL:
      g_string_append (out,
                       "Your previous reply said you could not use tools. You can: the tools "
                       "listed above are available, and the caller runs every call you write. "
                       "Reply now with the action block for the tool this task needs.");
      break;
    case LP_TOOL_RETRY_MISSED:
      g_string_append (out,
                       "Your previous reply described a tool call instead of making it, so "
                       "nothing was run. Reply now with the action block for that call.");
      break;
    case LP_TOOL_RETRY_FORCED:
      g_string_append (out,
                       "Your previous reply contained no action block, but this turn requires "
                       "a tool call. Reply now with at least one action block.");
      break;
    case LP_TOOL_RETRY_INVALID:
      if (problem != NULL)
        g_string_append_printf (out, "Your previous action block was rejected: %s.", problem);
      else
        g_string_append (out, "Your previous action block was rejected.");
      g_string_append (out,
                       " Write it again with a tool name from the list and arguments that "
                       "match that tool's parameters.");
      break;
    case LP_TOOL_RETRY_NONE:
    default:
      g_string_free (out, TRUE);
      g_return_val_if_reached (NULL);
    }

  if (request->tool_choice == LP_TOOL_CHOICE_TOOL && request->tool_choice_name != NULL)
    g_string_append_printf (out, " The block must call the tool \"%s\".", request->tool_choice_name);

  if (!request->parallel_tool_calls)
    g_string_append (out, " Write one action block only.");

  if (attempt >= 2)
    g_string_append (out,
                     " Your whole reply must be the action block and nothing else: no "
                     "explanation, no description of the call, no remark about what tools "
                     "you have.");

  g_string_append (out,
                   "\n" LP_TOOL_BLOCK_OPEN "\n"
                   "{\"tool\":\"NAME\",\"parameters\":{\"key\":\"value\"}}\n"
                   LP_TOOL_BLOCK_CLOSE);

  return g_string_free (out, FALSE);
}

char *
lp_tool_retry_instruction (const LpChatRequest *request,
                           LpToolRetryReason    reason,
                           guint                attempt)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (reason != LP_TOOL_RETRY_NONE, NULL);
  g_return_val_if_fail (attempt == 1 || attempt == 2, NULL);

  return build_instruction (request, reason, NULL, attempt);
}

char *
lp_tool_retry_instruction_for_parse (const LpChatRequest *request,
                                     const LpToolParse   *parse,
                                     guint                attempt)
{
  LpToolRetryReason reason;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (parse != NULL, NULL);
  g_return_val_if_fail (attempt == 1 || attempt == 2, NULL);

  reason = lp_tool_retry_reason (request, parse);
  g_return_val_if_fail (reason != LP_TOOL_RETRY_NONE, NULL);

  return build_instruction (request, reason, parse->problem, attempt);
}
