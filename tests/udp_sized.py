#!/usr/bin/python3
"""UDP datagrams of a chosen size, for the fragment tests. Every wait has a timeout.

usage: udp_sized.py serve PORT SIZE   answer one request with SIZE bytes, then exit
       udp_sized.py ask ADDR PORT     send a request, print the answer's length (0: none)
       udp_sized.py listen PORT SECS  print the length of the first datagram (0: none in SECS)
       udp_sized.py send ADDR PORT SIZE   send SIZE bytes unasked
"""
import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(3)
mode = sys.argv[1]
try:
    if mode == "serve":
        sock.bind(("0.0.0.0", int(sys.argv[2])))
        _, peer = sock.recvfrom(64)
        sock.sendto(b"r" * int(sys.argv[3]), peer)
    elif mode == "ask":
        sock.sendto(b"q", (sys.argv[2], int(sys.argv[3])))
        print(len(sock.recv(65535)))
    elif mode == "listen":
        sock.bind(("0.0.0.0", int(sys.argv[2])))
        sock.settimeout(float(sys.argv[3]))
        print(len(sock.recv(65535)))
    elif mode == "send":
        sock.sendto(b"s" * int(sys.argv[4]), (sys.argv[2], int(sys.argv[3])))
except socket.timeout:
    print(0)
