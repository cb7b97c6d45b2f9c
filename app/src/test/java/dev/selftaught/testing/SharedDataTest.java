package dev.selftaught.testing;

import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The one failure a checkout without the shared test data gives (the tests that need it are skipped). */
class SharedDataTest {
    @Test
    void sharedTestDataIsPresent() {
        assertNull(SharedData.problem(), SharedData.problem());
    }
}
