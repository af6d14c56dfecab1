#!/usr/bin/python3
"""Sends one hand-made VxLAN frame (ICMP echo inside) so tests can probe the tunnel end.

usage: vxlan_send.py OUTER_DST VNI VLAN INNER_SRC_IP INNER_DST_IP INNER_DST_MAC
VLAN 0 sends the inner frame untagged.
"""
import sys

from scapy.all import ICMP, IP, UDP, Dot1Q, Ether, VXLAN, conf, send

conf.verb = 0
outer_dst, vni, vlan, src_ip, dst_ip, dst_mac = sys.argv[1:7]
inner = Ether(src="02:cb:00:00:00:99", dst=dst_mac)
if int(vlan):
    inner = inner / Dot1Q(vlan=int(vlan))
inner = inner / IP(src=src_ip, dst=dst_ip) / ICMP(id=0xcb, seq=1)
send(IP(dst=outer_dst, flags="DF") / UDP(sport=50000, dport=4789) / VXLAN(vni=int(vni)) / inner)
