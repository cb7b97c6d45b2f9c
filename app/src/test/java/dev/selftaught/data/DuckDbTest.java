package dev.selftaught.data;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DuckDbTest {
    @Test
    void connectionsNeverDownloadExtensions() throws Exception {
        try (Connection c = DuckDb.open(); Statement st = c.createStatement()) {
            for (String setting : new String[] {"autoinstall_known_extensions", "autoload_known_extensions"}) {
                try (ResultSet rs = st.executeQuery("SELECT current_setting('" + setting + "')::VARCHAR")) {
                    rs.next();
                    assertEquals("false", rs.getString(1), setting);
                }
            }
            // JSON and Parquet must work without any download: both are linked into the driver.
            try (ResultSet rs = st.executeQuery("SELECT to_json({'a': [1, 2]})::VARCHAR")) {
                rs.next();
                assertEquals("{\"a\":[1,2]}", rs.getString(1));
            }
        }
    }
}
