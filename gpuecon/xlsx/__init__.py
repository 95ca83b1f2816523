"""xlsx packages: guarded reading and lossless writing (package), LibreOffice conversion, input names."""
