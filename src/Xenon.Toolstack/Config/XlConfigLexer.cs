namespace Xenon.Toolstack.Config;

/// <summary>
/// Splits xl.cfg text into tokens as libxlu's scanner does: identifiers, numbers, quoted
/// strings, <c>= += , [ ] ;</c>, newlines (which end a setting), <c>#</c> comments to end of
/// line. Anything else is a syntax error naming the character and line.
/// </summary>
internal sealed class XlConfigLexer
{
    private readonly string _text;
    private readonly string _source;
    private int _pos;
    private int _line;

    public XlConfigLexer(string text, string source, int firstLine)
    {
        _text = text;
        _source = source;
        _line = firstLine;
    }

    public string Source => _source;

    public XlToken Next()
    {
        SkipBlanksAndComments();
        if (_pos >= _text.Length)
        {
            return new XlToken(XlTokenKind.End, "", _line);
        }

        var line = _line;
        var c = _text[_pos];
        switch (c)
        {
            case '\n':
                _pos++;
                _line++;
                return new XlToken(XlTokenKind.Newline, "", line);
            case '=':
                _pos++;
                return new XlToken(XlTokenKind.Equals, "", line);
            case '+' when _pos + 1 < _text.Length && _text[_pos + 1] == '=':
                _pos += 2;
                return new XlToken(XlTokenKind.PlusEquals, "", line);
            case ',':
                _pos++;
                return new XlToken(XlTokenKind.Comma, "", line);
            case '[':
                _pos++;
                return new XlToken(XlTokenKind.OpenBracket, "", line);
            case ']':
                _pos++;
                return new XlToken(XlTokenKind.CloseBracket, "", line);
            case ';':
                _pos++;
                return new XlToken(XlTokenKind.Semicolon, "", line);
            case '"' or '\'':
                return LexString(c, line);
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            return new XlToken(XlTokenKind.Identifier, TakeWhile(IsWordChar), line);
        }

        if (char.IsAsciiDigit(c))
        {
            // Wider than libxlu's [0-9][0-9a-fx]* so that "512M" or "1.5" reach the key's reader
            // whole and fail there with "expected a number", not as a puzzling syntax error.
            return new XlToken(XlTokenKind.Number, TakeWhile(static ch => IsWordChar(ch) || ch == '.'), line);
        }

        var hint = c is '/' or '-' or '.' or '~' ? " (string values must be quoted)" : "";
        throw ConfigException.Syntax(_source, line, $"unexpected character '{XlStringEscapes.Printable(c)}'{hint}");
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private string TakeWhile(Func<char, bool> accept)
    {
        var start = _pos;
        while (_pos < _text.Length && accept(_text[_pos]))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    private void SkipBlanksAndComments()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\r' or '\f' or '\v')
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private XlToken LexString(char quote, int line)
    {
        var start = ++_pos;
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == quote)
            {
                var body = _text.AsSpan(start, _pos - start);
                _pos++;
                return new XlToken(XlTokenKind.String, XlStringEscapes.Decode(body, _source, line), line);
            }

            if (c == '\n')
            {
                break;
            }

            // A backslash protects the next character, including the quote, but never a newline.
            _pos += c == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] != '\n' ? 2 : 1;
        }

        throw ConfigException.Syntax(_source, line, "unterminated string");
    }
}
