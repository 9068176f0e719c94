// usage: node prof.cjs file mode(pkg|fn|file) N [fromSec toSec]
const fs=require('fs');const [,,file,mode='pkg',N='30',from,to]=process.argv;
const p=JSON.parse(fs.readFileSync(file));const byId=new Map(p.nodes.map(n=>[n.id,n]));
const self=new Map();let t=p.startTime;const total={v:0};
for(let i=0;i<p.samples.length;i++){t+=p.timeDeltas[i];const s=(t-p.startTime)/1e6;if(from&&s<+from)continue;if(to&&s>+to)continue;const n=byId.get(p.samples[i]);const cf=n.callFrame;
let key;const url=cf.url||'';const m=url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
const pkg=m?m[1]:url.startsWith('node:')?'node:'+url.slice(5).split('/')[0]:url.includes('/work/main/')?'app:'+url.split('/work/main/')[1].split('/')[0]:(cf.functionName||'(native)');
if(mode==='pkg')key=pkg;else if(mode==='fn')key=pkg+' '+cf.functionName+':'+cf.lineNumber;else key=url.replace(/.*node_modules\//,'')+' ';
self.set(key,(self.get(key)||0)+p.timeDeltas[i]);total.v+=p.timeDeltas[i];}
const arr=[...self].sort((a,b)=>b[1]-a[1]).slice(0,+N);for(const [k,v] of arr)console.log((100*v/total.v).toFixed(1).padStart(5),'%',k);console.log('total ms',total.v/1000);
