/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON parser internals shared by the lexer, streamer and parser. */
#ifndef JSON_PARSER_INT_H
#define JSON_PARSER_INT_H

#include "qapi/qmp/json-parser.h"

typedef enum JSONTokenType {
    JSON_ERROR = 0,           /* a byte sequence that is no token */
    JSON_LCURLY = 100,
    JSON_MIN = JSON_LCURLY,
    JSON_RCURLY,
    JSON_LSQUARE,
    JSON_RSQUARE,
    JSON_COLON,
    JSON_COMMA,
    JSON_TOK_INTEGER,         /* (jansson owns JSON_INTEGER, JSON_STRING) */
    JSON_FLOAT,
    JSON_KEYWORD,
    JSON_TOK_STRING,
    JSON_END_OF_INPUT,
    JSON_MAX = JSON_END_OF_INPUT
} JSONTokenType;

typedef struct JSONToken {
    JSONTokenType type;
    int x, y;                 /* where it starts, for diagnostics */
    char str[];               /* its text, NUL-terminated */
} JSONToken;

/* json-lexer.c */
void json_lexer_init(JSONLexer *lexer);
void json_lexer_feed(JSONLexer *lexer, const char *buffer, size_t size);
void json_lexer_flush(JSONLexer *lexer);
void json_lexer_destroy(JSONLexer *lexer);

/* json-streamer.c: called by the lexer for each token */
void json_message_process_token(JSONLexer *lexer, GString *input,
                                JSONTokenType type, int x, int y);

/* json-parser.c: parse one value from @tokens (which it empties) */
JSONToken *json_token(JSONTokenType type, int x, int y, GString *tokstr);
json_t *json_parser_parse(GQueue *tokens, va_list *ap, Error **errp);

#endif /* JSON_PARSER_INT_H */
