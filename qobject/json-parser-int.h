/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON parser internals shared by the lexer, streamer and parser. */
#ifndef JSON_PARSER_INT_H
#define JSON_PARSER_INT_H

#include "qapi/qmp/json-parser.h"

/*
 * What the lexer found.  The JSON_TOK_ prefix on two of them keeps clear
 * of jansson's json_type names (JSON_INTEGER, JSON_STRING).
 */
typedef enum JSONTokenType {
    JSON_ERROR,               /* bytes that start no valid token */
    JSON_LCURLY,              /* { */
    JSON_RCURLY,              /* } */
    JSON_LSQUARE,             /* [ */
    JSON_RSQUARE,             /* ] */
    JSON_COLON,               /* : */
    JSON_COMMA,               /* , */
    JSON_TOK_INTEGER,         /* digits with an optional '-' */
    JSON_FLOAT,               /* a number with a fraction or exponent */
    JSON_KEYWORD,             /* a run of a-z: true, false, null or junk */
    JSON_TOK_STRING,          /* "..." or '...', escapes still in place */
    JSON_END_OF_INPUT,        /* no text: the input ended */
} JSONTokenType;

/* One token of the value being collected, as the lexer saw it. */
typedef struct JSONToken {
    JSONTokenType type;
    char str[];               /* the token's bytes, NUL-terminated */
} JSONToken;

/* json-lexer.c */
void json_lexer_init(JSONLexer *lexer);
void json_lexer_feed(JSONLexer *lexer, const char *buffer, size_t size);
void json_lexer_flush(JSONLexer *lexer);
void json_lexer_destroy(JSONLexer *lexer);

/*
 * json-streamer.c: the lexer completed a token of @type whose text is in
 * lexer->token (the lexer empties it afterwards).
 */
void json_streamer_take_token(JSONLexer *lexer, JSONTokenType type);

/*
 * json-parser.c: build the value that the tokens in @tokens (JSONToken *)
 * spell.  Returns: a new reference, or NULL with @errp set.
 */
json_t *json_tokens_to_value(GPtrArray *tokens, Error **errp);

#endif /* JSON_PARSER_INT_H */
