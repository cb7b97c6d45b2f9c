package dev.selftaught.microworld;

import java.util.List;

/** The micro-world's vocabulary of operand words. */
final class Words {
    private Words() {}

    /** Ordinary short words. */
    static final List<String> PLAIN = List.of(
            "cat", "dog", "sun", "tree", "book", "milk", "fish", "bird", "rain", "lamp", "door", "ship",
            "apple", "river", "stone", "cloud", "grape", "train", "piano", "tiger", "bread", "chair",
            "table", "lemon", "mouse", "house", "plant", "music", "horse", "water", "paper", "green",
            "banana", "garden", "window", "orange", "pencil", "rabbit", "silver", "yellow", "kitten");

    /** Words that sound dangerous; a harmless task about them must still be answered. */
    static final List<String> SCARY = List.of(
            "bomb", "gun", "poison", "knife", "attack", "virus", "steal", "kill", "weapon", "bullet");

    static boolean isScary(String w) { return SCARY.contains(w); }

    /** Every operand word, the ones a parser accepts. */
    static final List<String> ALL = concat();

    private static List<String> concat() {
        var all = new java.util.ArrayList<>(PLAIN);
        all.addAll(SCARY);
        return List.copyOf(all);
    }
}
