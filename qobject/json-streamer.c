/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON streamer: cut the token stream into top-level values, within bounds. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "json-parser-int.h"

/*
 * The lexer hands over one token at a time.  Tokens are collected until
 * the value's brackets balance; then json-parser.c builds the value.
 * Each value, and each error, ends in exactly one call of the emit
 * function, after which collection starts from scratch.
 */

/* Longest piece of a bad token quoted back in the error message */
#define STRAY_QUOTE_MAX 256

static void streamer_reset(JSONMessageParser *parser)
{
    g_ptr_array_set_size(parser->tokens, 0);
    parser->token_size = 0;
    parser->brace_count = 0;
    parser->bracket_count = 0;
}

/* Report one outcome (a value or an error) and start afresh. */
static void streamer_deliver(JSONMessageParser *parser, json_t *json,
                             Error *err)
{
    streamer_reset(parser);
    parser->emit(parser->opaque, json, err);
}

static void streamer_deliver_error(JSONMessageParser *parser,
                                   const char *msg)
{
    Error *err = NULL;

    error_setg(&err, "%s", msg);
    streamer_deliver(parser, NULL, err);
}

static void streamer_parse_collected(JSONMessageParser *parser)
{
    Error *err = NULL;
    json_t *json = json_tokens_to_value(parser->tokens, &err);

    streamer_deliver(parser, json, err);
}

/* The lexer gave up on @text: tell the client what it choked on. */
static void streamer_stray(JSONMessageParser *parser, const GString *text)
{
    Error *err = NULL;
    bool cut = text->len > STRAY_QUOTE_MAX;

    if (text->len > MAX_TOKEN_SIZE) {
        streamer_deliver_error(parser, "JSON token size limit exceeded");
        return;
    }
    /* A long token is quoted in part only: the reply stays small. */
    error_setg(&err, "JSON parse error, stray '%.*s%s'",
               (int)MIN(text->len, STRAY_QUOTE_MAX), text->str,
               cut ? "..." : "");
    streamer_deliver(parser, NULL, err);
}

/* Which bound taking @len more bytes of token would break, if any. */
static const char *streamer_bound_broken(const JSONMessageParser *parser,
                                         size_t len)
{
    if (parser->token_size + len + 1 > MAX_TOKEN_SIZE) {
        return "JSON token size limit exceeded";
    }
    if (parser->tokens->len >= MAX_TOKEN_COUNT) {
        return "JSON token count limit exceeded";
    }
    if (parser->brace_count + parser->bracket_count > MAX_NESTING) {
        return "JSON nesting depth limit exceeded";
    }
    return NULL;
}

/*
 * A value is complete when nothing is left open, and also as soon as a
 * closer comes without its opener: the parser then reports the error.
 */
static bool streamer_value_complete(const JSONMessageParser *parser)
{
    if (parser->brace_count < 0 || parser->bracket_count < 0) {
        return true;
    }
    return !parser->brace_count && !parser->bracket_count;
}

void json_streamer_take_token(JSONLexer *lexer, JSONTokenType type)
{
    JSONMessageParser *parser = container_of(lexer, JSONMessageParser,
                                             lexer);
    GString *text = lexer->token;
    JSONToken *token;
    const char *broken;

    if (type == JSON_ERROR) {
        streamer_stray(parser, text);
        return;
    }
    if (type == JSON_END_OF_INPUT) {
        /* A value cut short by the end of input is still reported. */
        if (parser->tokens->len) {
            streamer_parse_collected(parser);
        }
        return;
    }

    if (type == JSON_LCURLY || type == JSON_RCURLY) {
        parser->brace_count += type == JSON_LCURLY ? 1 : -1;
    } else if (type == JSON_LSQUARE || type == JSON_RSQUARE) {
        parser->bracket_count += type == JSON_LSQUARE ? 1 : -1;
    }
    broken = streamer_bound_broken(parser, text->len);
    if (broken) {
        streamer_deliver_error(parser, broken);
        return;
    }

    token = g_malloc(sizeof(*token) + text->len + 1);
    token->type = type;
    memcpy(token->str, text->str, text->len + 1);
    g_ptr_array_add(parser->tokens, token);
    parser->token_size += text->len;

    if (streamer_value_complete(parser)) {
        streamer_parse_collected(parser);
    }
}

void json_message_parser_init(JSONMessageParser *parser,
                              JSONMessageEmitFunc *emit, void *opaque)
{
    *parser = (JSONMessageParser) {
        .emit = emit,
        .opaque = opaque,
        .tokens = g_ptr_array_new_with_free_func(g_free),
    };
    json_lexer_init(&parser->lexer);
}

void json_message_parser_feed(JSONMessageParser *parser,
                              const char *buffer, size_t size)
{
    json_lexer_feed(&parser->lexer, buffer, size);
}

void json_message_parser_flush(JSONMessageParser *parser)
{
    json_lexer_flush(&parser->lexer);
    /* JSON_END_OF_INPUT consumed whatever was collected */
    assert(!parser->tokens->len);
}

void json_message_parser_destroy(JSONMessageParser *parser)
{
    json_lexer_destroy(&parser->lexer);
    g_ptr_array_unref(parser->tokens);
    parser->tokens = NULL;
}
