
m-conip-xlevcit-pad
-*"(şÉ