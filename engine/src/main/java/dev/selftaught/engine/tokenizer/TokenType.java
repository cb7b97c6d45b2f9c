package dev.selftaught.engine.tokenizer;

/** SentencePiece / GGUF token types ({@code tokenizer.ggml.token_type} values). */
public final class TokenType {
    private TokenType() {}
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;
}
