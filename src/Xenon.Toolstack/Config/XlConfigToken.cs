namespace Xenon.Toolstack.Config;

internal enum XlTokenKind
{
    Identifier,
    Number,
    String,
    Equals,
    PlusEquals,
    Comma,
    OpenBracket,
    CloseBracket,
    Semicolon,
    Newline,
    End,
}

internal readonly record struct XlToken(XlTokenKind Kind, string Text, int Line)
{
    /// <summary>How the token is named in a syntax error.</summary>
    public string Describe() => Kind switch
    {
        XlTokenKind.Identifier => $"'{Text}'",
        XlTokenKind.Number => $"number {Text}",
        XlTokenKind.String => $"string {XlStringEscapes.Quote(Text)}",
        XlTokenKind.Equals => "'='",
        XlTokenKind.PlusEquals => "'+='",
        XlTokenKind.Comma => "','",
        XlTokenKind.OpenBracket => "'['",
        XlTokenKind.CloseBracket => "']'",
        XlTokenKind.Semicolon => "';'",
        XlTokenKind.Newline => "end of line",
        _ => "end of input",
    };
}
