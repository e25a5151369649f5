"""Tools around the product, not the domain: the demo data generator, the dependency audit."""
