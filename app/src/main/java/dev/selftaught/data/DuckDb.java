package dev.selftaught.data;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens in-memory DuckDB connections configured never to touch the network: extension
 * auto-install and auto-load are off (JSON and Parquet are built into the JDBC driver), and
 * results stream instead of being materialised, so reading a big file uses bounded memory.
 */
public final class DuckDb {
    private DuckDb() {}

    public static Connection open() throws SQLException {
        Properties p = new Properties();
        p.setProperty("autoinstall_known_extensions", "false");
        p.setProperty("autoload_known_extensions", "false");
        p.setProperty("jdbc_stream_results", "true");
        Connection c = DriverManager.getConnection("jdbc:duckdb:", p);
        try (var st = c.createStatement()) {
            // Set again explicitly: a driver that ignored the properties must still not download.
            st.execute("SET autoinstall_known_extensions = false");
            st.execute("SET autoload_known_extensions = false");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** A SQL string literal for a path (single quotes doubled). */
    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** The first line of a DuckDB error, without its "Error: " boilerplate. */
    static String message(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        if (nl > 0) {
            String rest = m.substring(nl + 1).trim();
            m = m.substring(0, nl).trim() + (rest.isEmpty() ? "" : " " + rest);
        }
        return Json.squeeze(m);
    }
}
