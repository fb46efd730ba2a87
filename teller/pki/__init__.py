"""Korean PKI core: NPKI key files, VID, the certificate profile, the embedded CA, PKCS#12 and media folders."""
