"""The item co-purchase graph: edges from orders, graph algorithms behind one engine interface, and the
gold shapes built from them (item rank, communities, bought together, bundle recovery)."""
