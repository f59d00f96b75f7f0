/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON lexer: bytes to tokens, with QEMU's extensions and error recovery. */

#include "qemu/osdep.h"
#include "json-parser-int.h"

/*
 * Tokens are RFC 8259 JSON plus single-quoted strings (QEMU's extension).
 * A keyword is any run of lower-case letters; the parser decides whether
 * it is true, false or null.  After an invalid byte the lexer emits
 * JSON_ERROR and skips input until a structural character ('{', '}', '[',
 * ']'), a control character other than tab (a newline, say), or one of
 * the bytes 0xFE, 0xFF, which can never occur in JSON text: clients use
 * them to resynchronise (docs/interop/qmp-spec.txt).
 */

enum {
    IN_START,
    IN_RECOVERY,
    IN_STRING,          /* inside "..." or '...' */
    IN_STRING_ESC,      /* after a backslash */
    IN_STRING_U,        /* in the four hex digits of \uXXXX */
    IN_NEG,             /* after '-' */
    IN_ZERO,            /* "0" or "-0" */
    IN_INT,             /* [1-9][0-9]* */
    IN_DOT,             /* after '.' */
    IN_FRAC,            /* digits after '.' */
    IN_EXP,             /* after 'e' or 'E' */
    IN_EXP_SIGN,        /* after the exponent's sign */
    IN_EXP_DIGITS,      /* digits of the exponent */
    IN_KEYWORD,         /* [a-z]+ */
};

#define LEX_EOI (-1)

/* Per-lexer string state, kept in the otherwise unused high bits. */
#define QUOTE_SHIFT 8
#define HEX_SHIFT 16

static int lex_state(JSONLexer *lexer)
{
    return lexer->state & 0xff;
}

static void set_state(JSONLexer *lexer, int state, int quote, int hex)
{
    lexer->state = state | (quote << QUOTE_SHIFT) | (hex << HEX_SHIFT);
}

static void emit(JSONLexer *lexer, JSONTokenType type)
{
    json_streamer_take_token(lexer, type);
    g_string_truncate(lexer->token, 0);
    set_state(lexer, IN_START, 0, 0);
}

/* Report the token so far (and @ch unless it is a resync point). */
static bool lex_error(JSONLexer *lexer, int ch)
{
    bool resync = ch == LEX_EOI || ch == '{' || ch == '}' || ch == '[' ||
                  ch == ']' || ch < 0x20;

    if (!resync) {
        g_string_append_c(lexer->token, ch);
    }
    json_streamer_take_token(lexer, JSON_ERROR);
    g_string_truncate(lexer->token, 0);
    set_state(lexer, resync ? IN_START : IN_RECOVERY, 0, 0);
    /* true: process @ch again from the start state */
    return resync && ch != LEX_EOI;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* Returns true when @ch must be processed again in the new state. */
static bool lex_char(JSONLexer *lexer, int ch)
{
    int state = lex_state(lexer);
    int quote = (lexer->state >> QUOTE_SHIFT) & 0xff;
    int hex = lexer->state >> HEX_SHIFT;

    switch (state) {
    case IN_START:
        switch (ch) {
        case LEX_EOI:
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            return false;
        case '{':
        case '}':
        case '[':
        case ']':
        case ':':
        case ',':
            g_string_append_c(lexer->token, ch);
            emit(lexer, ch == '{' ? JSON_LCURLY : ch == '}' ? JSON_RCURLY :
                 ch == '[' ? JSON_LSQUARE : ch == ']' ? JSON_RSQUARE :
                 ch == ':' ? JSON_COLON : JSON_COMMA);
            return false;
        case '"':
        case '\'':
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_STRING, ch, 0);
            return false;
        case '-':
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_NEG, 0, 0);
            return false;
        case '0':
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_ZERO, 0, 0);
            return false;
        default:
            if (ch >= '1' && ch <= '9') {
                g_string_append_c(lexer->token, ch);
                set_state(lexer, IN_INT, 0, 0);
                return false;
            }
            if (ch >= 'a' && ch <= 'z') {
                g_string_append_c(lexer->token, ch);
                set_state(lexer, IN_KEYWORD, 0, 0);
                return false;
            }
            g_string_append_c(lexer->token, ch);
            json_streamer_take_token(lexer, JSON_ERROR);
            g_string_truncate(lexer->token, 0);
            set_state(lexer, IN_RECOVERY, 0, 0);
            return false;
        }
    case IN_RECOVERY:
        if (ch == '{' || ch == '}' || ch == '[' || ch == ']') {
            set_state(lexer, IN_START, 0, 0);
            return true;
        }
        if (ch == LEX_EOI || (ch < 0x20 && ch != '\t') || ch >= 0xfe) {
            set_state(lexer, IN_START, 0, 0);
        }
        return false;
    case IN_STRING:
        if (ch == LEX_EOI || ch < 0x20 || ch >= 0xfe) {
            return lex_error(lexer, ch);
        }
        g_string_append_c(lexer->token, ch);
        if (ch == quote) {
            emit(lexer, JSON_TOK_STRING);
        } else if (ch == '\\') {
            set_state(lexer, IN_STRING_ESC, quote, 0);
        }
        return false;
    case IN_STRING_ESC:
        if (ch > 0 && strchr("\"'/\\bfnrtu", ch)) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, ch == 'u' ? IN_STRING_U : IN_STRING, quote, 0);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_STRING_U:
        if (ch != LEX_EOI && g_ascii_isxdigit(ch)) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, hex == 3 ? IN_STRING : IN_STRING_U, quote,
                      hex + 1);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_NEG:
        if (ch == '0' || (ch >= '1' && ch <= '9')) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, ch == '0' ? IN_ZERO : IN_INT, 0, 0);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_ZERO:
    case IN_INT:
        if (state == IN_INT && is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            return false;
        }
        if (ch == '.' || ch == 'e' || ch == 'E') {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, ch == '.' ? IN_DOT : IN_EXP, 0, 0);
            return false;
        }
        emit(lexer, JSON_TOK_INTEGER);
        return ch != LEX_EOI;
    case IN_DOT:
        if (is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_FRAC, 0, 0);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_FRAC:
        if (is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            return false;
        }
        if (ch == 'e' || ch == 'E') {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_EXP, 0, 0);
            return false;
        }
        emit(lexer, JSON_FLOAT);
        return ch != LEX_EOI;
    case IN_EXP:
        if (ch == '+' || ch == '-' || is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, is_digit(ch) ? IN_EXP_DIGITS : IN_EXP_SIGN,
                      0, 0);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_EXP_SIGN:
        if (is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            set_state(lexer, IN_EXP_DIGITS, 0, 0);
            return false;
        }
        return lex_error(lexer, ch);
    case IN_EXP_DIGITS:
        if (is_digit(ch)) {
            g_string_append_c(lexer->token, ch);
            return false;
        }
        emit(lexer, JSON_FLOAT);
        return ch != LEX_EOI;
    case IN_KEYWORD:
        if (ch >= 'a' && ch <= 'z') {
            g_string_append_c(lexer->token, ch);
            return false;
        }
        emit(lexer, JSON_KEYWORD);
        return ch != LEX_EOI;
    }
    abort();
}

static void json_lexer_feed_char(JSONLexer *lexer, int ch)
{
    while (lex_char(lexer, ch)) {
        /* reprocess @ch in the new state */
    }
    if (lexer->token->len > MAX_TOKEN_SIZE) {
        /* A single token must not grow without bound */
        json_streamer_take_token(lexer, JSON_ERROR);
        g_string_truncate(lexer->token, 0);
        set_state(lexer, IN_RECOVERY, 0, 0);
    }
}

void json_lexer_init(JSONLexer *lexer)
{
    lexer->state = IN_START;
    lexer->token = g_string_sized_new(3);
}

void json_lexer_feed(JSONLexer *lexer, const char *buffer, size_t size)
{
    size_t i;

    for (i = 0; i < size; i++) {
        json_lexer_feed_char(lexer, (unsigned char)buffer[i]);
    }
}

void json_lexer_flush(JSONLexer *lexer)
{
    json_lexer_feed_char(lexer, LEX_EOI);
    set_state(lexer, IN_START, 0, 0);
    g_string_truncate(lexer->token, 0);
    json_streamer_take_token(lexer, JSON_END_OF_INPUT);
}

void json_lexer_destroy(JSONLexer *lexer)
{
    g_string_free(lexer->token, TRUE);
}
