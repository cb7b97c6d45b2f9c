package dev.selftaught.microworld;

import java.util.Objects;

/**
 * One pairwise item: a prompt, a response the checker accepts ({@code chosen}) and one it
 * rejects. Written as a generic pairwise benchmark row: {@code id, prompt, chosen, rejected,
 * subset} plus {@code category}.
 */
public record LabelledPair(String id, String prompt, String chosen, String rejected, String subset, Category category) {
    public LabelledPair {
        Objects.requireNonNull(id);
        Objects.requireNonNull(prompt);
        Objects.requireNonNull(chosen);
        Objects.requireNonNull(rejected);
        Objects.requireNonNull(subset);
        Objects.requireNonNull(category);
    }
}
