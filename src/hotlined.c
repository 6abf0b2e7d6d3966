/* placeholder: replaced by the daemon main */
int main(void) { return 1; }
